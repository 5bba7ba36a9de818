import { Injectable } from '@nestjs/common';
import type { JsonObject } from '../platform/json.js';
import type { ReleaseClass, ReleaseEntity } from './release.entity.js';
import { BoundedMap } from '../common/bounded-map.js';

/** What a release record keeps from its filing: nothing writes these fields afterwards. */
export interface FiledRelease {
  readonly id: string;
  readonly number: string;
  readonly releaseClass: ReleaseClass;
  /** The instance of its flow, whose passes the record follows. */
  readonly instanceId: string;
  readonly createdBy: string | null;
  /** The release request form as filed. */
  readonly request: JsonObject;
}

/** Releases whose filing a process keeps in memory. */
const FILED_RELEASES_KEPT = 10_000;

/**
 * The filed part of the releases this process filed or read (bounded; the oldest goes first): the segregation check
 * and the service tasks take the applicant and the request from here instead of reading the record again.
 */
@Injectable()
export class FiledReleases {
  private readonly kept = new BoundedMap<string, FiledRelease>(FILED_RELEASES_KEPT);

  get(releaseId: string): FiledRelease | undefined {
    return this.kept.get(releaseId);
  }

  /** Keep a committed record's filing; one without its flow yet is passed over. */
  remember(release: ReleaseEntity): void {
    if (release.instanceId === null || this.kept.has(release.id)) return;
    this.kept.set(release.id, {
      id: release.id,
      number: release.number,
      releaseClass: release.releaseClass,
      instanceId: release.instanceId,
      createdBy: release.createdBy,
      request: release.request,
    });
  }
}
