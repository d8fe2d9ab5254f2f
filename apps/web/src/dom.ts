/**
 * The app's whole view layer: `h()` builds elements. Text is always set as text (never parsed as
 * HTML), so a message or a name can never inject markup.
 */
type Child = Node | string | number | null | undefined | false | Child[];
// biome-ignore lint/suspicious/noExplicitAny: each handler names its own event type (MouseEvent, KeyboardEvent, …)
type Handler = (ev: any) => void;
export type Props = Record<string, string | number | boolean | Handler | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent`. */
export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Reads as text to screen readers only (see `.visually-hidden` in the CSS). */
export const srOnly = (text: string) => h('span', { class: 'visually-hidden' }, text);

let titleBase = 'Chat';
let titleUnread = 0;

/** The page's title: the view's, after the number of unread messages in my rooms when there are any. */
export function setTitle(base: string = titleBase, unread: number = titleUnread): void {
  titleBase = base;
  titleUnread = unread;
  document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
}
