import { AppError } from '@chat/contracts';

/**
 * Which browser origins may use the API. Exact matches only (`https://app.example.com`), so
 * `https://app.example.com.evil.com` and `null` never pass. No list means any origin: tokens are
 * sent explicitly, never as cookies, so another origin gains nothing it could not do itself.
 */
export class OriginPolicy {
  private readonly allowed: Set<string> | null;

  constructor(list: string | undefined) {
    const origins = (list ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    this.allowed = origins.length > 0 ? new Set(origins.map((o) => o.toLowerCase())) : null;
  }

  get restricted(): boolean {
    return this.allowed !== null;
  }

  allows(origin: string): boolean {
    return this.allowed === null || this.allowed.has(origin.toLowerCase());
  }

  /**
   * For a WebSocket upgrade: a browser (which always sends Origin) must come from an allowed
   * origin; a client without Origin (a native app) must prove itself with a valid token.
   */
  checkUpgrade(origin: string, hasValidToken: boolean): void {
    if (origin) {
      if (!this.allows(origin)) throw new AppError('forbidden', 'origin not allowed');
      return;
    }
    if (this.restricted && !hasValidToken) throw new AppError('unauthorized', 'a client without Origin needs a valid token');
  }

  /** CORS headers for a request from `origin`, or none. */
  corsHeaders(origin: string): Record<string, string> {
    if (!origin || !this.allows(origin)) return {};
    return {
      'access-control-allow-origin': this.allowed ? origin : '*',
      'access-control-expose-headers': 'x-request-id, retry-after, x-next-before, x-next-after, link',
      vary: 'origin',
    };
  }
}
