import { h } from './dom.ts';

const CUSTOM = /^\/avatars\/([a-f0-9]{64})\.webp$/;

export const defaultAvatar = (userId: string) => `/avatars/default/${encodeURIComponent(userId)}.svg`;

/**
 * The URL to show for an avatar. Only our own server's images: an avatar hosted elsewhere would
 * tell that host who reads which room (and the page's CSP refuses it anyway), so such a user gets
 * the generated default avatar instead.
 */
export function avatarSrc(url: string | undefined, userId: string): string {
  return url?.startsWith('/') && !url.startsWith('//') ? url : defaultAvatar(userId);
}

/** An avatar image; uploaded ones come as the 64 px version where that is enough. */
export function avatarImg(url: string | undefined, userId: string, px: number, alt = ''): HTMLImageElement {
  const img = h('img', { class: 'avatar', width: px, height: px, alt, decoding: 'async', 'data-user': userId });
  setAvatar(img, url, userId);
  return img;
}

export function setAvatar(img: HTMLImageElement, url: string | undefined, userId: string): void {
  const src = avatarSrc(url, userId);
  const px = Number(img.getAttribute('width')) || 64;
  const custom = CUSTOM.exec(src);
  img.dataset.avatar = src;
  if (custom && px <= 48) {
    img.src = `/avatars/${custom[1]}-64.webp`;
    img.srcset = `/avatars/${custom[1]}-64.webp 1x, ${src} 2x`;
  } else {
    img.removeAttribute('srcset');
    img.src = src;
  }
  // A picture that does not load (deleted, not a picture, server trouble) shows the default, and
  // if even that fails, a plain silhouette drawn here: never a broken image.
  img.onerror = () => {
    img.removeAttribute('srcset');
    if (img.src.endsWith(defaultAvatar(userId))) {
      img.onerror = null;
      img.src = SILHOUETTE;
    } else {
      img.src = defaultAvatar(userId);
    }
  };
}

const SILHOUETTE = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="#8a93a0"/><circle cx="32" cy="25" r="12" fill="#fff"/><path d="M10 60c2-14 12-20 22-20s20 6 22 20z" fill="#fff"/></svg>',
)}`;

export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];
export const AVATAR_MAX_BYTES = 1024 * 1024;

/** What is wrong with a file picked as an avatar, before uploading it; null when it can go. */
export function avatarProblem(file: File): string | null {
  if (!AVATAR_TYPES.includes(file.type)) return 'Choose a PNG, JPEG, WebP or GIF picture.';
  if (file.size > AVATAR_MAX_BYTES) return `That picture is ${(file.size / 1024 / 1024).toFixed(1)} MiB; the limit is 1 MiB.`;
  if (file.size === 0) return 'That file is empty.';
  return null;
}

/**
 * A file input with a live preview (a blob: URL of the picked file, cropped round as it will be
 * shown) and an inline error. `file()` is the valid picked file, if any.
 */
export function avatarPicker(id: string, label: string, current?: { url: string; userId: string }) {
  const error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
  const hint = h('p', { id: `${id}-hint`, class: 'hint' }, 'PNG, JPEG, WebP or GIF, up to 1 MiB. It is cropped to a square.');
  const preview = h('img', { class: 'avatar preview', width: 96, height: 96, alt: current ? 'Your current avatar' : 'No avatar chosen yet' });
  if (current) setAvatar(preview, current.url, current.userId);
  else preview.hidden = true;
  let picked: File | null = null;
  let objectUrl: string | null = null;
  const input = h('input', {
    id,
    name: 'avatar',
    type: 'file',
    accept: AVATAR_TYPES.join(','),
    'aria-describedby': `${id}-hint ${id}-error`,
    onchange: () => {
      const file = input.files?.[0] ?? null;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = null;
      picked = null;
      error.textContent = '';
      input.removeAttribute('aria-invalid');
      // Back to what is saved (or nothing) until the new file proves to be a picture.
      if (current) {
        setAvatar(preview, current.url, current.userId);
        preview.alt = 'Your current avatar';
      } else {
        preview.removeAttribute('src');
        preview.hidden = true;
      }
      if (!file) return;
      const problem = avatarProblem(file);
      if (problem) {
        error.textContent = problem;
        input.setAttribute('aria-invalid', 'true');
        return;
      }
      objectUrl = URL.createObjectURL(file);
      // Shown only once it has decoded: a file that only claims to be a picture (a text file
      // named .png) is refused here, never shown as a broken image.
      const probe = new Image();
      const url = objectUrl;
      probe.onload = () => {
        if (url !== objectUrl || probe.naturalWidth === 0) return;
        picked = file;
        preview.onerror = null;
        preview.removeAttribute('srcset');
        preview.src = url;
        preview.alt = 'Preview of your new avatar';
        preview.hidden = false;
      };
      probe.onerror = () => {
        if (url !== objectUrl) return;
        error.textContent = 'That file is not a picture we can use (PNG, JPEG, WebP or GIF).';
        input.setAttribute('aria-invalid', 'true');
      };
      probe.src = url;
    },
  });
  const el = h('div', { class: 'field avatar-field' }, h('label', { for: id }, label), h('div', { class: 'avatar-row' }, preview, input), hint, error);
  return {
    el,
    file: () => picked,
    hasError: () => error.textContent !== '',
    dispose: () => objectUrl && URL.revokeObjectURL(objectUrl),
  };
}
