// The API reference page at `/docs`: the OpenAPI document rendered on the server as plain HTML (no
// script, no CDN: the pages' own stylesheet from /assets/), operations grouped by tag with their
// parameters, request body and answers. It shows the same document `/openapi.json` serves.

type Json = Record<string, unknown>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const schemaBlock = (schema: unknown) =>
  `<details class="figures"><summary>Schema</summary><pre><code>${escapeHtml(JSON.stringify(schema, null, 2))}</code></pre></details>`;

/** A short type for a parameter table: `string`, `integer ≥ 1`, one of …. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return '';
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const type = typeof schema.type === 'string' ? schema.type : Array.isArray(schema.anyOf) ? 'any of' : 'any';
  const format = typeof schema.format === 'string' ? ` (${schema.format})` : '';
  return `${type}${format}`;
}

function parametersTable(params: Json[]): string {
  if (params.length === 0) return '';
  const rows = params
    .map((p) => {
      const schema = p.schema as Json | undefined;
      return `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td><td>${
        p.required ? 'yes' : 'no'
      }</td><td>${escapeHtml(typeOf(schema))}</td><td>${escapeHtml(String(p.description ?? ''))}</td></tr>`;
    })
    .join('');
  return `<div class="table-wrap"><table><caption>Parameters</caption><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Type</th><th scope="col">About</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function contentBlocks(content: Json | undefined): string {
  if (!content) return '';
  return Object.entries(content)
    .map(([type, media]) => `<p><code>${escapeHtml(type)}</code></p>${schemaBlock((media as Json).schema)}`)
    .join('');
}

function operationHtml(method: string, path: string, op: Json, anchor: string): string {
  const security = (op.security as Json[] | undefined) ?? [];
  const auth = security.length ? Object.keys(security[0]!).join(', ') : 'none';
  const body = op.requestBody as Json | undefined;
  const responses = Object.entries((op.responses as Json) ?? {})
    .map(([status, r]) => {
      const res = r as Json;
      if (res.$ref) return `<li><strong>${status}</strong>: the error body (see below)</li>`;
      return `<li><strong>${status}</strong>: ${escapeHtml(String(res.description ?? ''))}${contentBlocks(res.content as Json)}</li>`;
    })
    .join('');
  return `<article class="card wide" id="${anchor}">
<h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3>
<p>${escapeHtml(String(op.summary ?? ''))}</p>
${op.description ? `<p class="muted">${escapeHtml(String(op.description))}</p>` : ''}
<p class="muted">Authentication: ${escapeHtml(auth)} · operationId <code>${escapeHtml(String(op.operationId))}</code></p>
${parametersTable((op.parameters as Json[] | undefined) ?? [])}
${body ? `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${contentBlocks(body.content as Json)}` : ''}
<h4>Responses</h4><ul>${responses}</ul>
</article>`;
}

/** The reference page of an OpenAPI document. */
export function apiDocsHtml(doc: Json): string {
  const info = doc.info as Json;
  const tags = ((doc.tags as Json[]) ?? []).map((t) => String(t.name));
  const byTag = new Map<string, string[]>(tags.map((t) => [t, []]));
  const toc = new Map<string, string[]>(tags.map((t) => [t, []]));
  let n = 0;
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const tag = String((op.tags as string[])[0]);
      const anchor = `op-${++n}`;
      byTag.get(tag)?.push(operationHtml(method, path, op, anchor));
      toc
        .get(tag)
        ?.push(`<li><a href="#${anchor}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a></li>`);
    }
  }
  const nav = tags
    .map((t, i) => `<li><a href="#tag-${i}">${escapeHtml(t)}</a><ul>${toc.get(t)!.join('')}</ul></li>`)
    .join('');
  const sections = tags
    .map(
      (t, i) =>
        `<section aria-labelledby="tag-${i}"><h2 id="tag-${i}">${escapeHtml(t)}</h2>${byTag.get(t)!.join('\n')}</section>`,
    )
    .join('\n');
  const components = doc.components as Json;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(String(info.title))} reference</title>
<link rel="stylesheet" href="/assets/pages.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="bar">
  <h1>${escapeHtml(String(info.title))} <span class="muted">API reference, version ${escapeHtml(String(info.version))}</span></h1>
  <p class="who"><a href="/openapi.json">openapi.json</a></p>
</header>
<main id="main" tabindex="-1">
<p>${escapeHtml(String(info.description ?? ''))}</p>
<nav aria-label="Operations" class="card wide"><h2>Operations</h2><ul>${nav}</ul></nav>
${sections}
<section aria-labelledby="errors"><h2 id="errors">Errors</h2>
<article class="card wide"><p>Every status an operation does not list answers this body; <code>code</code> is stable and snake_case.</p>${schemaBlock((components.schemas as Json).Error)}</article>
</section>
</main>
</body>
</html>
`;
}
