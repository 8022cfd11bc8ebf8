/**
 * Who holds a page. page->mapping in the MemMap is an owner id (0 = none) into this table:
 * an address_space (file or shmem), an mm (anonymous memory, standing in for its anon_vma),
 * the swap cache, or a kernel cache (slab-like allocations). Drivers own pages through their
 * shmem files.
 */
export type OwnerKind = 'file' | 'shmem' | 'swap' | 'anon' | 'kernel';

export interface Owner {
  /** Set by Owners.register(). */
  id: number;
  readonly kind: OwnerKind;
  /** A name for reports and the map ("bash", "i915 obj 12", "kmalloc-128"). */
  readonly name: string;
  /**
   * The reverse map for this owner's mapped folios (mm/rmap.c): try_to_migrate() replaces
   * every page-table entry of the folio at `pfn` with a migration entry (dropping mapcount and
   * those references); remove_migration_ptes() points them at `dst` (or back at the source).
   */
  tryToMigrate?(pfn: number): void;
  removeMigrationPtes?(src: number, dst: number): void;
  /** movable_operations for non-LRU movable pages this owner marked with __SetPageMovable(). */
  movableOps?: MovableOperations;
}

/** struct movable_operations (include/linux/migrate.h, 6.1): pages are pfns. */
export interface MovableOperations {
  isolatePage(pfn: number, mode: number): boolean;
  migratePage(dst: number, src: number, mode: number): number;
  putbackPage(pfn: number): void;
}

export class Owners {
  private readonly table: (Owner | undefined)[] = [undefined];
  private readonly freeIds: number[] = [];

  register<T extends Owner>(owner: T): T {
    const id = this.freeIds.length ? this.freeIds.pop()! : this.table.length;
    owner.id = id;
    this.table[id] = owner;
    return owner;
  }

  unregister(owner: Owner): void {
    if (this.table[owner.id] !== owner) throw new Error(`owner ${owner.name} is not registered`);
    this.table[owner.id] = undefined;
    this.freeIds.push(owner.id);
    owner.id = 0;
  }

  get(id: number): Owner | undefined {
    return this.table[id];
  }

  *all(): IterableIterator<Owner> {
    for (const o of this.table) if (o) yield o;
  }
}
