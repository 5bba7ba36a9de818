import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * The API's default: a JSON answer needs nothing, so a browser that renders one anyway may load and run
 * nothing. Pages (src/web, Swagger UI, the queue board, the HTML report) set their own policy.
 */
export const API_CONTENT_SECURITY_POLICY = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Swagger UI: its bundle and init script from this origin (no inline script), its inline <style> block and
 * style attributes, its SVG icons as data URIs, and "try it out" calls to this origin.
 */
export const SWAGGER_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * bull-board: its React bundle from this origin (its one inline <script> is JSON data, not run), inline
 * styles, and the IBM Plex fonts it links from Google Fonts.
 */
export const QUEUE_BOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' data: https://fonts.gstatic.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * helmet's headers for every answer (nosniff, frame and referrer policies, no X-Powered-By) with the API's
 * strict CSP. No HSTS: TLS ends in front of this service, and that is where HSTS belongs.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_CONTENT_SECURITY_POLICY },
    strictTransportSecurity: false,
  });
}

/** API answers carry user data and change with every write: no cache may keep them. */
export function noStore(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('cache-control', 'no-store');
  next();
}

/** Replaces the default policy for the pages under one path. */
export function contentSecurityPolicy(policy: string): RequestHandler {
  return (_request, response, next) => {
    response.setHeader('content-security-policy', policy);
    next();
  };
}
