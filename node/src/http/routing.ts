// Express routes for names, on the raw path. A name may hold slashes, and a slash inside a name is sent encoded:
// ".../a%2Fversions" is the file "a/versions", ".../a/versions" the versions of "a". Express matches a RegExp route
// against the undecoded pathname, so these RegExps see the path as sent. They capture nothing on purpose: Express
// decodes every capture (answering a bad escape with its own 400), where a name is decoded once, by nameFromPath, and
// a bad escape is invalid_name. The /files/ routes agree with the read path's classify() (test/unit/routing.test.ts).
import type { ErrorRequestHandler, Request, RequestHandler, Router } from 'express';
import { apiError } from '../errors.js';
import { nameFromPath } from '../names.js';

/** A resource named in its path: `prefix`, the encoded name, then `suffix`. */
export interface NamedRoute {
  /** the Express route path; req.path, the undecoded pathname, is what it matched */
  readonly path: RegExp;
  readonly prefix: string;
  readonly suffix: string;
  /** res.metricsRoute: the label of its metrics and log lines, whatever the method */
  readonly label: string;
  /** the Allow header of its 405 (undefined: none) */
  readonly allow: string | undefined;
}

/** The request's name: decoded, NFC and valid (else invalid_name). */
export const nameOf = (route: NamedRoute, req: Pick<Request, 'path'>): string =>
  nameFromPath(req.path.slice(route.prefix.length, req.path.length - route.suffix.length));

export const FILE_VERSIONS: NamedRoute = {
  path: /^\/files\/.*\/versions$/,
  prefix: '/files/',
  suffix: '/versions',
  label: 'versions',
  allow: 'GET',
};
export const FILE_REVERT: NamedRoute = { path: /^\/files\/.*\/revert$/, prefix: '/files/', suffix: '/revert', label: 'revert', allow: 'POST' };
/** mounted after the two above: any other path under /files/ is a file (whose GET and HEAD the read path serves) */
export const FILE: NamedRoute = { path: /^\/files\//, prefix: '/files/', suffix: '', label: 'file', allow: 'GET, HEAD, PUT, DELETE' };

type Method = 'get' | 'put' | 'post' | 'delete';

/** Labels the request's metrics and log line (res.metricsRoute). */
export const label =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.metricsRoute = name;
    next();
  };

/**
 * Mounts `route` on `router`: each of `methods` with its handlers, and any other method, HEAD included (Express
 * would run a GET handler for it), answered 405 method_not_allowed. Every request is labelled route.label.
 */
export function mount(router: Router, route: NamedRoute, methods: Partial<Record<Method, RequestHandler[]>>): void {
  const r = router.route(route.path);
  // An absolute-form target ("PUT http://host/files/a") names nothing: the read path, which serves the same URLs,
  // takes only a path, and one URL must name one file for reads and writes alike. It falls through to a 404.
  r.all((req, _res, next) => next(req.originalUrl.startsWith('/') ? undefined : 'route'));
  r.all(label(route.label));
  for (const [method, handlers] of Object.entries(methods) as [Method, RequestHandler[]][]) r[method](...handlers);
  // named: test/unit/openapi.test.ts tells the 405 from the routes' own handlers by it
  const methodNotAllowed: RequestHandler = (_req, res, next) => {
    if (route.allow !== undefined) res.setHeader('Allow', route.allow);
    next(apiError('method_not_allowed'));
  };
  r.head(methodNotAllowed).all(methodNotAllowed);
}

/**
 * Mounts a route at a fixed `path` (no name in it): each of `methods` with its handlers (HEAD runs GET's, as Express
 * does), and any other method answered 405 with Allow, like the named routes: RFC 9110 15.5.6 (schemathesis found
 * these answering 404 route_not_found). Only the path exactly: "/files/" is the file of the empty name, not the list.
 */
export function mountFixed(router: Router, path: string, routeLabel: string, methods: Partial<Record<Method, (RequestHandler | ErrorRequestHandler)[]>>): void {
  const r = router.route(path);
  r.all(label(routeLabel));
  for (const [method, handlers] of Object.entries(methods) as [Method, (RequestHandler | ErrorRequestHandler)[]][]) r[method](...handlers);
  const allow = Object.keys(methods).flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
  const methodNotAllowed: RequestHandler = (req, res, next) => {
    if (req.path !== path) return next('route');
    res.setHeader('Allow', allow.join(', '));
    next(apiError('method_not_allowed'));
  };
  r.all(methodNotAllowed);
}

/**
 * Express routes on parseurl's pathname, which ends at a '#'; the read path, and so every name, takes the raw target
 * up to '?'. A conforming client never sends a '#', but when one comes, escaping it keeps "/files/a#b" the file
 * "a#b" for a write as for a read.
 */
export const hashInPath: RequestHandler = (req, _res, next) => {
  if (req.url.includes('#')) req.url = req.url.replaceAll('#', '%23');
  next();
};
