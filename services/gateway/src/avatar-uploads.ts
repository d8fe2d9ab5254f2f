import { nuid, type ObjectStore } from '@chat/bus';
import { AVATAR_UPLOAD_MAX_BYTES, AppError, sniffImage, type AvatarUpload } from '@chat/contracts';
import type { Logger } from '@chat/runtime';

/** Normalising a large image takes a moment; a request carrying one may wait this long. */
export const UPLOAD_CALL_TIMEOUT_MS = 20_000;

/**
 * Hands image bytes to the profile service through the uploads object store (see
 * `openUploadStore` for why). The bytes are checked here first, so what the profile service would
 * refuse by its bytes alone never travels; the profile service checks them again all the same.
 */
export class AvatarUploads {
  constructor(
    private readonly store: ObjectStore,
    private readonly log: Logger,
  ) {}

  /**
   * Stages `bytes`, runs `use` with the reference, and removes the staged copy whatever happens:
   * at once when `signal` says the client has gone, so the profile service drops the picture
   * unprocessed if it has not started on it yet.
   */
  async with<T>(bytes: Buffer, use: (upload: AvatarUpload) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (bytes.length > AVATAR_UPLOAD_MAX_BYTES) throw new AppError('payload_too_large', `the image is larger than ${AVATAR_UPLOAD_MAX_BYTES} bytes`);
    sniffImage(bytes);
    const name = nuid.next();
    try {
      await this.store.putBlob({ name }, bytes);
    } catch (err) {
      this.log.error({ err }, 'staging an avatar upload failed');
      throw new AppError('unavailable', 'the upload could not be staged; try again');
    }
    const remove = () => void this.store.delete(name).catch(() => undefined);
    signal?.addEventListener('abort', remove, { once: true });
    try {
      return await use({ kind: 'upload', object: name, size: bytes.length });
    } finally {
      signal?.removeEventListener('abort', remove);
      // A failed clean-up is only logged: the store's TTL removes what is left.
      await this.store.delete(name).catch((err: unknown) => this.log.warn({ err, object: name }, 'removing a staged upload failed'));
    }
  }
}
