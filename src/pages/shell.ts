// The HTML shell of the served pages (the cloud's dashboard and console, the edge's register): a
// static document (it holds no tenant data, the page's own script fetches everything with the user's
// token) that loads the page's stylesheets and ES module from the server itself. Nothing is fetched
// from anywhere else (the CSP says so too).

/** Headers for every page and asset: no framing, no sniffing, no referrer, only this origin's scripts. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface ShellOptions {
  title: string;
  /** The page's module under /assets/. */
  script: string;
  /**
   * The modules the script imports, directly or not, under /assets/: announced in the head
   * (`modulepreload`) so the browser fetches them at once instead of one import level at a time.
   */
  preload?: string[];
  /** Extra stylesheets under /assets/. */
  styles?: string[];
  /** The page's static markup (no data). */
  body: string;
}

export function pageShell(o: ShellOptions): string {
  const styles = ['pages.css', ...(o.styles ?? [])]
    .map((s) => `<link rel="stylesheet" href="/assets/${s}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title}</title>
${styles}
<script type="module" src="/assets/${o.script}"></script>${(o.preload ?? []).map((m) => `\n<link rel="modulepreload" href="/assets/${m}">`).join('')}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${o.body}
</body>
</html>
`;
}
