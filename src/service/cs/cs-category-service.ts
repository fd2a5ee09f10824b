import { UserError } from '../../exception';
import type { Cache } from '../../core/db/cache';
import type { CsCategory, CsCategoryNode } from './cs-types';
import type { CsCategoryInner } from './inner/cs-category-inner';
import type { CsEventInner } from './inner/cs-event-inner';

const TREE_KEY = 'cs:categories';
const MAX_LEVEL = 3;

/** One node of a PUT /api/cs/categories: with an id it is updated, without one inserted. */
export interface CategoryUpsert {
  id?: number | undefined;
  parent_id?: number | undefined;
  name: string;
  is_valid?: boolean | undefined;
}

export function buildTree(all: CsCategory[]): CsCategoryNode[] {
  const nodes = new Map<number, CsCategoryNode>();
  for (const c of all) nodes.set(c.id, { ...c, children: [] });
  const roots: CsCategoryNode[] = [];
  for (const node of nodes.values()) {
    const parent = nodes.get(node.parent_id);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** The three-level category tree of events. */
export class CsCategoryService {
  constructor(
    private readonly categories: CsCategoryInner,
    private readonly events: CsEventInner,
    private readonly cache: Cache,
  ) {}

  /** The whole tree from the cache; a miss loads from the primary, so a lagging replica never caches an old tree. */
  private all(): Promise<CsCategory[]> {
    return this.cache.getOrLoad(TREE_KEY, { ttlSeconds: 300 }, () =>
      this.categories.listAll({ primary: true }),
    ) as Promise<CsCategory[]>;
  }

  async tree(): Promise<CsCategoryNode[]> {
    return buildTree(await this.all());
  }

  /** An event may only be filed under an existing, valid category. */
  async assertUsable(id: number): Promise<void> {
    const found = (await this.all()).find((c) => c.id === id);
    if (!found || !found.is_valid) {
      throw new UserError('CS_CATEGORY_NOT_FOUND', {
        params: { id },
        fields: [{ field: 'category_id', message: 'unknown' }],
      });
    }
  }

  /** The category and all below it: filtering by a category finds events filed under any of them. */
  async subtreeIds(id: number): Promise<number[]> {
    const all = await this.all();
    const ids = [id];
    for (let i = 0; i < ids.length; i += 1) {
      for (const c of all) if (c.parent_id === ids[i]) ids.push(c.id);
    }
    return ids;
  }

  /** The id of a valid top-level category of this name, created when missing (e.g. 'fraud' for risk verdicts). */
  async ensureTopLevel(name: string): Promise<number> {
    const find = (all: CsCategory[]): CsCategory | undefined => all.find((c) => c.parent_id === 0 && c.name === name);
    // Usually there: the cached tree answers without a query.
    const existing = find(await this.all());
    if (existing) {
      if (!existing.is_valid) await this.upsert([{ id: existing.id, name, is_valid: true }]);
      return existing.id;
    }
    try {
      await this.upsert([{ name }]);
    } catch (err) {
      // Another process created it first.
      if (!(err instanceof UserError && err.errorName === 'CS_CATEGORY_CONFLICT')) throw err;
    }
    // Just written, by us or a racing process: read it back from the primary, not a lagging replica.
    const created = find(await this.categories.listAll({ primary: true }));
    if (!created) throw new UserError('CS_CATEGORY_NOT_FOUND', { params: { id: name } });
    return created.id;
  }

  /** Inserts or updates nodes in one transaction; parents must exist and the tree stays three levels deep. */
  async upsert(nodes: CategoryUpsert[]): Promise<CsCategoryNode[]> {
    await this.events.transaction(async (tx) => {
      for (const node of nodes) {
        if (node.id !== undefined) {
          const existing = await this.categories.find(node.id, tx);
          if (!existing) throw new UserError('CS_CATEGORY_NOT_FOUND', { params: { id: node.id } });
          await this.categories.update(tx, node.id, {
            name: node.name,
            ...(node.is_valid === undefined ? {} : { is_valid: node.is_valid }),
          });
          continue;
        }
        const parentId = node.parent_id ?? 0;
        let level = 1;
        if (parentId !== 0) {
          const parent = await this.categories.find(parentId, tx);
          if (!parent) {
            throw new UserError('CS_CATEGORY_PARENT', {
              params: { name: node.name, parent: parentId, reason: 'the parent does not exist.' },
            });
          }
          if (parent.level >= MAX_LEVEL) {
            throw new UserError('CS_CATEGORY_PARENT', {
              params: { name: node.name, parent: parentId, reason: `categories are at most ${MAX_LEVEL} levels deep.` },
            });
          }
          level = parent.level + 1;
        }
        await this.categories.insert(tx, {
          parent_id: parentId,
          level,
          name: node.name,
          is_valid: node.is_valid ?? true,
        });
      }
    });
    await this.cache.invalidate(TREE_KEY);
    return this.tree();
  }
}
