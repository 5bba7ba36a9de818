import { Module } from '@nestjs/common';
import { WebController } from './web.controller.js';

/** Serves the built pages (web/, built into dist/web by `npm run build:web`). */
@Module({ controllers: [WebController] })
export class WebModule {}
