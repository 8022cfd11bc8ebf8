/** The small scenario the web tests run (128 MiB, 2 s): quick in a browser, every kind of holder, an OOM kill. */
export const SMALL_FILE = 'small.yaml';

export const SMALL_YAML = `scenario:
  name: small
  description: a small desktop for the playground tests
  duration: 2s
  seeds: 1
  sample_every: 100ms
  snapshots: [1s, end]
machine:
  cpus: 2
  memory: 128MiB
swap: 8MiB
workloads:
  - kind: anon
    name: apps
    processes: 6
    rss: { dist: lognormal, min: 48MiB, max: 128MiB }
    rate: 100
    lifetime: 1s
  - kind: file
    name: cache
    size: 64MiB
    rate: 200
  - kind: slab
    name: dentries
    reclaimable: true
    target: 4MiB
    alloc_rate: 2000
    free_rate: 1500
  - kind: highalloc
    name: stacks
    orders: [2]
    gfp: GFP_KERNEL
    rate: 200
    hold: 1s
  - kind: gpu
    name: gpu
    clients: 2
    objects_per_client: 16
    object_size: { dist: lognormal, min: 4KiB, max: 2MiB }
    object_lifetime: 1s
variants:
  - name: i915-6.1
  - name: seed
    workloads: { gpu: { policy: seed } }
`;
