/**
 * The files `make domain NAME=...` writes for a new domain: an item table
 * with a title and a body, created and read over HTTP and Thrift, listed by
 * cursor over HTTP. The business logic is the new domain's to grow; the
 * wiring, the permissions, the codes, the IDL and the tests are done.
 */

export { type Names, namesOf } from './names';
export { inner, migration, model, schemas } from './data-templates';
export { access, context, domainIndex, operations, service } from './domain-templates';
export { errorBlock, idlMethods, idlStructs, routes, thriftAdapter } from './door-templates';
export { e2eTest, integrationTest } from './test-templates';
