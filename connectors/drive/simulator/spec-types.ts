// The shape of a Drive v3 schema property as the official client's .d.ts writes it (see spec.ts).

export type TypeNode =
  | { k: 'string' }
  | { k: 'boolean' }
  | { k: 'number' }
  | { k: 'any' }
  | { k: 'ref'; name: string }
  | { k: 'array'; of: TypeNode }
  | { k: 'map'; of: TypeNode }
  | { k: 'object'; props: Record<string, TypeNode> };

/** Schema name (without `Schema$`) → property → type. */
export type SchemaMap = Record<string, Record<string, TypeNode>>;
