// What a query costs, computed from the query alone before it runs, the way monday describes its
// complexity: every field has a cost, and what a list field selects is paid once per element it may
// return, so nested limits multiply. The model (README.md, "Complexity"):
//   leaf field                     1
//   object field                   1 + cost of its selection
//   list field                     1 + n × cost of its selection, n = the page it may return:
//                                  the length of `ids` when given, else `limit` (the schema's default
//                                  when not sent), else a nominal size for lists without a limit
//   items_page / next_items_page / updates_page   n = limit (ItemsResponse.items and
//                                  UpdatesPage.updates then count once)
//   root `users`                   its selection × 10 (monday raised the users query tenfold)
//   root `complexity`              free
//   mutation root field            10,000 + cost of its selection (monday: create_item ≈ 10,000)
// Fragments add their fields (no maximum over alternatives), so a query pays for every typed
// fragment it asks for.

import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  Kind,
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
} from 'graphql';

export const MUTATION_BASE_COST = 10_000;
export const USERS_WEIGHT = 10;

/** Lists without a `limit` argument are priced at these sizes. */
export const NOMINAL_LIST_SIZE: Readonly<Record<string, number>> = {
  'Board.columns': 15,
  'Board.groups': 10,
  'Board.owners': 5,
  'Board.subscribers': 10,
  'Item.column_values': 15,
  'Item.subitems': 10,
  'Item.assets': 10,
  'Item.subscribers': 10,
  'Update.replies': 10,
  'Update.assets': 5,
  'Reply.assets': 5,
  'FileValue.files': 5,
  'PeopleValue.persons_and_teams': 5,
  'BoardRelationValue.linked_items': 10,
  'SubtasksValue.subitems': 10,
};
export const DEFAULT_LIST_SIZE = 10;

const PAGED = new Set(['ItemsResponse', 'UpdatesPage']);

export function queryCost(schema: GraphQLSchema, op: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, variables: Record<string, unknown>): number {
  const root = op.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return 0;
  let total = 0;
  for (const sel of op.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD) {
      total += selectionCost(schema, sel.kind === Kind.INLINE_FRAGMENT ? sel.selectionSet : (fragments.get(sel.name.value)?.selectionSet ?? null), root, fragments, variables, true, op.operation === 'mutation');
      continue;
    }
    total += rootFieldCost(schema, sel.name.value, root.getFields()[sel.name.value], sel, fragments, variables, op.operation === 'mutation');
  }
  return total;
}

function rootFieldCost(
  schema: GraphQLSchema,
  name: string,
  def: GraphQLField<unknown, unknown> | undefined,
  node: FieldNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  mutation: boolean,
): number {
  if (!def || name === 'complexity' || name.startsWith('__')) return 0;
  const cost = fieldCost(schema, 'Query', def, node, fragments, variables);
  if (mutation) return MUTATION_BASE_COST + cost;
  return name === 'users' ? cost * USERS_WEIGHT : cost;
}

function selectionCost(
  schema: GraphQLSchema,
  set: SelectionSetNode | null | undefined,
  parent: GraphQLCompositeType,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  root = false,
  mutation = false,
): number {
  if (!set) return 0;
  let total = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const name = sel.name.value;
      if (name.startsWith('__')) continue;
      const fields = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields() : {};
      const def = fields[name];
      if (root) total += rootFieldCost(schema, name, def, sel, fragments, variables, mutation);
      else if (def) total += fieldCost(schema, parent.name, def, sel, fragments, variables);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
      if (cond && isCompositeType(cond)) total += selectionCost(schema, sel.selectionSet, cond, fragments, variables, root, mutation);
    } else {
      const frag = fragments.get(sel.name.value);
      const cond = frag ? schema.getType(frag.typeCondition.name.value) : null;
      if (frag && cond && isCompositeType(cond)) total += selectionCost(schema, frag.selectionSet, cond, fragments, variables, root, mutation);
    }
  }
  return total;
}

function fieldCost(
  schema: GraphQLSchema,
  parentName: string,
  def: GraphQLField<unknown, unknown>,
  node: FieldNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): number {
  const named = getNamedType(def.type);
  if (!isCompositeType(named)) return 1;
  const children = selectionCost(schema, node.selectionSet, named, fragments, variables);
  return 1 + listSize(parentName, def, node, variables) * children;
}

function listSize(parentName: string, def: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): number {
  const named = getNamedType(def.type);
  const list = isListType(getNullableType(def.type));
  if (PAGED.has(parentName)) return 1;
  if (!list && !PAGED.has(named.name)) return 1;
  let args: Record<string, unknown> = {};
  try {
    args = getArgumentValues(def, node, variables);
  } catch {
    // Validation already rejected bad arguments; a size of 1 is never reached in practice.
  }
  const ids = args.ids;
  const limit = typeof args.limit === 'number' && args.limit > 0 ? args.limit : null;
  if (Array.isArray(ids) && ids.length > 0) return limit !== null ? Math.min(ids.length, limit) : ids.length;
  if (limit !== null) return limit;
  return NOMINAL_LIST_SIZE[`${parentName}.${def.name}`] ?? DEFAULT_LIST_SIZE;
}
