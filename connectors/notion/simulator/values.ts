// A page's value for one property, as the API sees it: stored values, the computed ones (created
// and last-edited time and user, the unique id) and the back side of a two-way relation, which is
// read off the other side so that both always agree. Filters, sorts, serialization and the ground
// truth all read values through here.

import { type PageRec, type PropValue, type PropertyRec } from './model';

export type Value = PropValue | { t: 'time'; ms: number } | { t: 'user'; id: string } | { t: 'unique_id'; n: number };

export function emptyValue(prop: PropertyRec): PropValue {
  switch (prop.type) {
    case 'title':
    case 'rich_text':
      return { t: prop.type, items: [] };
    case 'number':
      return { t: 'number', n: null };
    case 'select':
    case 'status':
      return { t: prop.type, optionId: null };
    case 'multi_select':
      return { t: 'multi_select', optionIds: [] };
    case 'date':
      return { t: 'date', date: null };
    case 'people':
      return { t: 'people', userIds: [] };
    case 'files':
      return { t: 'files', files: [] };
    case 'relation':
      return { t: 'relation', pageIds: [] };
    case 'url':
      return { t: 'url', url: null };
    case 'checkbox':
      return { t: 'checkbox', v: false };
    default:
      throw new Error(`${prop.type} is computed, not stored`);
  }
}

export function valueOf(page: PageRec, prop: PropertyRec): Value {
  switch (prop.type) {
    case 'created_time':
      return { t: 'time', ms: page.createdTime };
    case 'last_edited_time':
      return { t: 'time', ms: page.lastEditedTime };
    case 'created_by':
      return { t: 'user', id: page.createdBy.id };
    case 'last_edited_by':
      return { t: 'user', id: page.lastEditedBy.id };
    case 'unique_id':
      return { t: 'unique_id', n: page.uniqueId };
    case 'relation':
      if (prop.relation?.mirror && prop.relation.syncedPropertyId) {
        const other = prop.relation.syncedPropertyId;
        const pageIds: string[] = [];
        for (const p of prop.relation.dataSource.pages) {
          if (p.inTrash) continue;
          const v = p.values.get(other);
          if (v?.t === 'relation' && v.pageIds.includes(page.id)) pageIds.push(p.id);
        }
        return { t: 'relation', pageIds };
      }
      return page.values.get(prop.id) ?? emptyValue(prop);
    default:
      return page.values.get(prop.id) ?? emptyValue(prop);
  }
}
