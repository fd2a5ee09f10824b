/** How one domain name is spelled in each place `make domain` writes it. */

/** The spellings of one domain name. */
export interface Names {
  /** snake_case, as given: `order_notes` (tables, permissions, Thrift methods). */
  snake: string;
  /** kebab-case: `order-notes` (files, folders, URL paths). */
  kebab: string;
  /** camelCase: `orderNotes` (variables, the Domains field). */
  camel: string;
  /** PascalCase: `OrderNotes` (types, IDL structs). */
  pascal: string;
  /** UPPER_SNAKE: `ORDER_NOTES` (error names). */
  upper: string;
  /** The first code of the domain's block of UserError codes. */
  codeBase: number;
  /** The migration's name: `0009-order-notes`. */
  migration: string;
}

export function namesOf(snake: string, codeBase: number, migrationNumber: number): Names {
  const parts = snake.split('_');
  const pascal = parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
  return {
    snake,
    kebab: parts.join('-'),
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    pascal,
    upper: snake.toUpperCase(),
    codeBase,
    migration: `${String(migrationNumber).padStart(4, '0')}-${parts.join('-')}`,
  };
}
