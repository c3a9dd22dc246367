// Small DOM helpers. Everything from the shop or the engine becomes text nodes or checked
// attribute values, never HTML; nothing here writes a style attribute (strict CSP pages).

// h('a', { href, class }, 'text', childNode): strings become text nodes.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function svg(tag, attrs, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(node, attrs);
  node.append(...children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
}

// Only http(s) links (relative ones resolve to the page's own scheme); anything else
// (javascript:, data:, vbscript:, …) is dropped.
export function safeUrl(value, base = document.baseURI) {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  try {
    const url = new URL(value, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

// The first focusable element after `node` in document order (not inside it).
export function nextFocusable(node) {
  for (const el of document.querySelectorAll(FOCUSABLE)) {
    if (node.contains(el)) continue;
    if (node.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING && el.getClientRects().length) return el;
  }
  return null;
}

// Saves bytes or text as a file (the export of Art. 15/20, a backup).
export function download(parts, name) {
  const url = URL.createObjectURL(new Blob(parts));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
