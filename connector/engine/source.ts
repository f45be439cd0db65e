import type { KalturaClient, ListResponse } from '../kaltura/client.js';
import { refusedService } from '../kaltura/errorTable.js';
import type { Filter, ListSource, StreamDefinition } from '../streams/definition.js';
import type { KalturaObject } from './records.js';
import type { PageDecoder } from './pageDecoder.js';

export interface Pager {
  pageSize: number;
  pageIndex: number;
}

/**
 * Sends a stream's list requests to its source, and switches once, for the rest of the run, to
 * the stream's fallback source when Kaltura refuses the main one with SERVICE_FORBIDDEN.
 */
export class SourceSelector {
  private current: ListSource;
  private usingFallback = false;

  constructor(
    private readonly client: KalturaClient,
    private readonly def: StreamDefinition,
    private readonly log: (message: string) => void,
    /** Decodes each page as it arrives (the engine's fields and each record's bytes); without it, answers are parsed whole. */
    private readonly decoder?: PageDecoder,
  ) {
    this.current = def.source;
  }

  get service(): string {
    return this.current.service;
  }

  async list(filter: Filter, pager: Pager, signal?: AbortSignal): Promise<ListResponse<KalturaObject>> {
    const source = this.current;
    try {
      return await this.client.list<KalturaObject>(
        source.service,
        { filter: { objectType: source.filterObjectType, ...source.filter, ...filter }, pager: { objectType: 'KalturaFilterPager', ...pager } },
        signal,
        this.decoder?.decode,
      );
    } catch (err) {
      if (!this.canFallBack(err, source)) throw err;
      if (!this.usingFallback) {
        this.usingFallback = true;
        this.current = this.def.fallbackSource!;
        this.log(`${this.def.name}: ${this.def.fallbackSource!.reason}`);
      }
      return this.list(filter, pager, signal);
    }
  }

  private canFallBack(err: unknown, failed: ListSource): boolean {
    const fallback = this.def.fallbackSource;
    // The error table says which refusals mean "read through the fallback"; this is the service it refused.
    return fallback !== undefined && failed !== fallback && refusedService(err) === `${failed.service}->list`;
  }
}
