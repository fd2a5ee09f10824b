import { AccessControl, ADMIN_ROLE } from '../../src/core/auth/permissions';
import { ACCESS } from '../../src/domains';
import { DevError } from '../../src/exception';

const books = {
  permissions: { 'book.read': 'Read books.', 'book.write': 'Write books.' },
  roles: { reader: ['book.read'] },
};
const shelves = {
  permissions: { 'shelf.move': 'Move shelves.' },
  roles: { librarian: ['book.read', 'book.write', 'shelf.move'] },
};

/** The cause's message of a DevError thrown by `build`. */
function mistake(build: () => unknown): string {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(DevError);
    return String((err as DevError).cause instanceof Error ? ((err as DevError).cause as Error).message : err);
  }
  throw new Error('expected a DevError');
}

describe('AccessControl', () => {
  it("when domains declare permissions and roles, then a role grants its permissions, one domain may grant another's, and admin holds them all", () => {
    const access = new AccessControl([books, shelves]);

    expect([...access.permissionsOf(['reader'])]).toEqual(['book.read']);
    expect([...access.permissionsOf(['reader', 'librarian'])].sort()).toEqual([
      'book.read',
      'book.write',
      'shelf.move',
    ]);
    expect([...access.permissionsOf([ADMIN_ROLE])].sort()).toEqual(['book.read', 'book.write', 'shelf.move']);
    expect(access.permissionsOf(['nobody']).size).toBe(0);
    expect(access.isRole('librarian')).toBe(true);
    expect(access.isRole('nobody')).toBe(false);
    expect(access.describe('shelf.move')).toBe('Move shelves.');
  });

  it('when the same role list is asked twice, then the same set is given back (sessions ask on every request)', () => {
    const access = new AccessControl([books]);
    expect(access.permissionsOf(['reader'])).toBe(access.permissionsOf(['reader']));
  });

  it('when a permission is declared twice, or a role grants one nobody declares, or a domain declares admin, then building stops with a DevError naming it', () => {
    expect(mistake(() => new AccessControl([books, books]))).toContain('book.read is declared twice');
    expect(mistake(() => new AccessControl([{ roles: { clerk: ['ledger.read'] } }]))).toContain(
      'the role clerk grants ledger.read, which no domain declares',
    );
    expect(mistake(() => new AccessControl([{ roles: { admin: [] } }]))).toContain('the role admin is declared twice');
  });

  it('when a route needs a permission nobody declares, then requireDeclared names the route and the permission', () => {
    const access = new AccessControl([books]);
    expect(() => access.requireDeclared('public', 'GET /x')).not.toThrow();
    expect(() => access.requireDeclared('authenticated', 'GET /x')).not.toThrow();
    expect(() => access.requireDeclared('book.read', 'GET /x')).not.toThrow();
    expect(mistake(() => access.requireDeclared('book.raed', 'GET /books'))).toBe(
      'Access declarations: GET /books needs the permission book.raed, which no domain declares.',
    );
  });

  it("when the app's domains are put together, then the documented roles grant what docs/http.md says", () => {
    expect([...ACCESS.permissionsOf(['cs_agent'])]).toEqual(['cs_event.read', 'cs_event.write']);
    expect([...ACCESS.permissionsOf(['cs_admin'])]).toEqual(['cs_event.read', 'cs_event.write', 'cs_event.admin']);
    expect([...ACCESS.permissionsOf(['risk_reviewer'])]).toEqual(['risk.review', 'cs_event.read']);
    expect(ACCESS.permissionsOf(['admin']).size).toBe(5);
  });
});
