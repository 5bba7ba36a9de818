import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../identity/auth.decorators.js';
import {
  CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
  PAGES,
  webBuilt,
  webDistDir,
  type PageName,
} from './web-assets.js';

const NOT_BUILT =
  'The web pages have not been built. Run "npm run build:web" (or "npm run build"), then reload this page.';

/**
 * The pages (sign-in, tasks, release records, statistics, incidents, modeler) with their assets. Public: the
 * pages hold no data; every API call they make carries the signed-in user's bearer token.
 */
@ApiExcludeController()
@Public()
@Controller()
export class WebController {
  private readonly dir = webDistDir();

  /** The sign-in page sends a signed-in user on to the page of their role (the token lives in the browser). */
  @Get()
  home(@Res() response: Response): void {
    response.redirect(302, '/login');
  }

  @Get('login')
  login(@Res() response: Response): void {
    this.page(response, 'login');
  }

  @Get('modeler')
  modeler(@Res() response: Response): void {
    this.page(response, 'modeler');
  }

  @Get('tasks')
  tasks(@Res() response: Response): void {
    this.page(response, 'tasks');
  }

  @Get('inbox')
  inbox(@Res() response: Response): void {
    response.redirect(302, '/tasks');
  }

  @Get('releases')
  releases(@Res() response: Response): void {
    this.page(response, 'releases');
  }

  @Get('statistics')
  statistics(@Res() response: Response): void {
    this.page(response, 'statistics');
  }

  @Get('incidents')
  incidents(@Res() response: Response): void {
    this.page(response, 'incidents');
  }

  /** A release's record with its instance view (by id or number). */
  @Get('releases/:idOrNumber')
  release(@Res() response: Response): void {
    this.page(response, 'instance');
  }

  @Get('web/assets/*path')
  asset(@Param('path') path: string | string[], @Res() response: Response): void {
    const relative = Array.isArray(path) ? path.join('/') : path;
    securityHeaders(response);
    response.sendFile(
      relative,
      {
        root: `${this.dir}/assets`,
        dotfiles: 'deny',
        cacheControl: false,
        headers: { 'cache-control': 'no-cache' },
      },
      (err?: Error & { status?: number; statusCode?: number }) => {
        if (!err || response.headersSent) return;
        const statusCode = err.status ?? err.statusCode ?? 404;
        const message = webBuilt(this.dir) ? `no asset ${relative}` : NOT_BUILT;
        response.status(webBuilt(this.dir) ? statusCode : 503).json({
          statusCode: webBuilt(this.dir) ? statusCode : 503,
          error: statusCode === 404 ? 'not found' : 'error',
          message,
        });
      },
    );
  }

  private page(response: Response, name: PageName): void {
    securityHeaders(response, contentSecurityPolicy(name));
    if (!webBuilt(this.dir)) {
      response.status(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
      return;
    }
    response.sendFile(PAGES[name], {
      root: this.dir,
      cacheControl: false,
      headers: { 'cache-control': 'no-cache', 'content-type': 'text/html; charset=utf-8' },
    });
  }
}

function securityHeaders(response: Response, policy = CONTENT_SECURITY_POLICY): void {
  response.setHeader('content-security-policy', policy);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'same-origin');
  response.setHeader('x-frame-options', 'DENY');
}
