'use strict';
// The MCP tools over one tenant of a call memory: their names, when to call
// them, their input schemas (docs/schema/), and a short text summary of each
// answer beside the answer itself. A failure is a tool result with isError,
// the library's message (naming the field) and its error document: never a
// protocol error, and never a crash of the server.
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const { toolSchema } = require('./schemas');

const TOOLS = [
  {
    name: 'identify_caller',
    schema: 'call-start-request',
    method: 'startCall',
    title: 'Identify the caller (call start)',
    description:
      'Call this once at the very start of every call, before greeting the caller: it records the call and answers ' +
      'who the caller probably is (customer_ref), identity.recommendation (reuse: greet by name and use what is ' +
      'known; confirm: ask the caller to confirm who they are first, then report it with confirm_identity; ignore: ' +
      'treat as a new caller), the open_intents to raise (unfinished business from earlier calls) and the saved ' +
      'variables (name, order ids, ...). Give call_id (the call\'s unique id; reuse it in save_call and ' +
      'confirm_identity) and identity_hints.ani (the caller\'s number), with external ids when known. Never read the ' +
      'confidence out to the caller. Safe to retry with the same arguments.',
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    summary: summariseStart,
  },
  {
    name: 'save_call',
    schema: 'call-end-request',
    method: 'endCall',
    title: 'Save what the call learned (call end)',
    description:
      'Call this once at the end of every call, even a short or failed one: saves the call\'s intent and its status ' +
      '(open when the matter is unresolved and the caller will likely call back about it, resolved when it was ' +
      'settled), variables learned (name, order_id, ...; null deletes one) and ids the caller gave (external_ids: ' +
      'account number, e-mail). Give the call_id of identify_caller. The next call of this caller starts with them. ' +
      'Safe to retry with the same arguments.',
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    summary: summariseEnd,
  },
  {
    name: 'confirm_identity',
    schema: 'identity-feedback-request',
    method: 'identityFeedback',
    title: 'Report whether the caller is who identify_caller said',
    description:
      'Call this after you asked the caller to confirm who they are (identify_caller recommended confirm), or ' +
      'whenever the caller says who they are or are not: outcome confirmed (it is them), rejected (somebody else: ' +
      'the call gets a new customer, and nothing of the other customer may be used), or corrected with the right ' +
      'customer_ref (a known customer under another ref; the two are merged). Give the call_id of identify_caller. ' +
      'Once per call: the same answer again is accepted, a different one is a conflict.',
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    summary: summariseFeedback,
  },
  {
    name: 'lookup_customer',
    schema: 'customer-get-request',
    method: 'getCustomer',
    title: 'Look up a customer',
    description:
      'Reads everything stored about one customer: identities, intents (open and closed), variables and the ' +
      'latest calls (a page; pass next_cursor back as cursor for more). Give customer_ref (from identify_caller), ' +
      'or identity_hints (a number or external ids). Use it when the caller asks what is on file, or to check ' +
      'history before acting; not needed at call start (identify_caller already answers what is open). Reads only.',
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    summary: summariseCustomer,
  },
  {
    name: 'forget_customer',
    schema: 'customer-selector',
    method: 'forgetCustomer',
    title: 'Erase a customer (GDPR)',
    description:
      'Erases one customer and everything stored about them (identities, intents, variables, calls), at once ' +
      'and irreversibly. Call it only when the caller explicitly asks to be forgotten and has confirmed it. Give ' +
      'customer_ref, or identity_hints. Answers what was removed.',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    summary: summariseForget,
    optIn: 'allowForget',
  },
];

// ---- text summaries: what a model reads first ----

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th';
  return `${n}${s}`;
}

function shortValue(v) {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}

function listVariables(variables, limit = 10) {
  const names = Object.keys(variables || {});
  const shown = names.slice(0, limit).map((n) => `${n} ${shortValue(variables[n].value)}`);
  if (names.length > limit) shown.push(`and ${names.length - limit} more`);
  return shown.join('; ');
}

// At a call's start this call is the next attempt; in a lookup, the attempts are those so far.
function listIntents(intents, thisCall) {
  return intents.map((i) => `${i.intent} (` + (thisCall ? `${ordinal(i.attempt_count + 1)} attempt` :
    `${i.attempt_count} attempt${i.attempt_count === 1 ? '' : 's'} so far`) + ')').join(', ');
}

const LEVELS = { very_high: 'very high', high: 'high', medium: 'medium', low: 'low' };

function summariseStart(r) {
  const { recommendation, confidence, level } = r.identity;
  // Truncated, not rounded: 0.9994 is not a certain 1.00.
  const how = `${LEVELS[level] || level} confidence (${(Math.floor(confidence * 100) / 100).toFixed(2)})`;
  const parts = [];
  if (recommendation === 'reuse') {
    parts.push(`Returning caller, ${how}: recommendation reuse (greet by name, use what is known)`);
  } else if (recommendation === 'confirm') {
    parts.push(`Possibly a returning caller, ${how}: recommendation confirm (ask the caller to confirm who they ` +
      'are before using anything below, then call confirm_identity)');
  } else {
    parts.push(`New or unrecognised caller, ${how}: recommendation ignore (treat as a new caller)`);
  }
  if (r.open_intents.length) parts.push(`open intent ${listIntents(r.open_intents, true)}`);
  if (Object.keys(r.variables).length) parts.push(listVariables(r.variables));
  return `${parts.join('; ')}. customer_ref ${r.customer_ref}, call_id ${r.call_id}.`;
}

function summariseEnd(r) {
  const n = (k, what) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return `Saved call ${r.call_id} for customer ${r.customer_ref}: ${n(r.intents_updated, 'intent')} and ` +
    `${n(r.variables_updated, 'variable')} updated (${r.duration_seconds} s).`;
}

function summariseFeedback(r) {
  if (r.outcome === 'confirmed') return `Recorded: the caller confirmed they are customer ${r.customer_ref}.`;
  if (r.outcome === 'rejected') {
    return `Recorded: the caller is not customer ${r.previous_customer_ref}; the call now belongs to ` +
      `${r.customer_created ? 'a new ' : ''}customer ${r.customer_ref}. Use nothing of the previous customer.`;
  }
  return `Recorded: the call moved from ${r.previous_customer_ref} to customer ${r.customer_ref}` +
    (r.merge ? ` (merged; merge_id ${r.merge.merge_id})` : '') + '.';
}

function summariseCustomer(v) {
  const open = v.intents.filter((i) => i.status === 'open');
  const parts = [`Customer ${v.customer_ref}, last seen ${v.last_seen}`];
  parts.push(open.length ? `open intent ${listIntents(open, false)}` : 'no open intent');
  if (Object.keys(v.variables).length) parts.push(listVariables(v.variables));
  parts.push(`${v.calls.length} call${v.calls.length === 1 ? '' : 's'} on this page` +
    (v.next_cursor ? ` (more: pass cursor ${v.next_cursor})` : ''));
  return parts.join('; ') + '.';
}

function summariseForget(r) {
  const removed = Object.entries(r.removed).map(([k, n]) => `${n} ${k}`).join(', ');
  return `Forgot customer ${r.customer_ref}: removed ${removed}.`;
}

// ---- the tools ----

/** The tools this server offers: forget_customer only with {allowForget: true}. */
function tools(options = {}) {
  return TOOLS.filter((t) => !t.optIn || options[t.optIn]);
}

// Per process: the schemas are read, inlined and compiled once, not per request.
const listed = new Map(); // tool name -> its tools/list entry
let ajv = null;
const validators = new Map(); // tool name -> compiled input schema

function entry(t) {
  if (!listed.has(t.name)) {
    listed.set(t.name, {
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: toolSchema(t.schema),
      annotations: { title: t.title, ...t.annotations },
    });
  }
  return listed.get(t.name);
}

/** The tools/list answer. */
function listTools(options = {}) {
  return tools(options).map(entry);
}

/**
 * The arguments' keys the tool's schema does not have, as the library's field
 * issues. The library ignores an unknown key in most requests; a model that
 * sends one (a `tenant`, a misspelt field) is told instead, before anything is
 * written. Everything else is the library's to check, in its own words.
 */
function unknownKeys(t, args) {
  if (!validators.has(t.name)) {
    if (!ajv) {
      ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true });
      addFormats(ajv);
    }
    validators.set(t.name, ajv.compile(entry(t).inputSchema));
  }
  const validate = validators.get(t.name);
  if (validate(args)) return [];
  // Only where the key is refused whichever branch applies: not inside an anyOf, oneOf, not or if.
  return validate.errors
    .filter((e) => e.keyword === 'additionalProperties' && !/\/(anyOf|oneOf|not|if)\//.test(e.schemaPath))
    .map((e) => {
      const at = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      const key = e.params.additionalProperty;
      const known = Object.keys(e.parentSchema.properties || {});
      return { path: [...at, key], message: `${key} is not an argument of ${t.name}` +
        (known.length ? ` (the arguments${at.length ? ' of ' + at.join('.') : ''} are ${known.join(', ')})` : '') };
    });
}

function errorResult(message, document) {
  return { content: [{ type: 'text', text: message }], structuredContent: document, isError: true };
}

/**
 * Runs a tools/call on `tenant` of `db` (a CallMemory). Every failure,
 * the library's or ours, is a result with isError.
 */
async function callTool(db, tenant, name, args, options = {}) {
  const tool = tools(options).find((t) => t.name === name);
  if (!tool) {
    const hint = name === 'forget_customer' ? ' (the server was started without --allow-forget)' : '';
    const message = `Unknown tool: ${name}${hint}`;
    return errorResult(message, { error: 'Not Found', message });
  }
  if (args === undefined || args === null || typeof args !== 'object' || Array.isArray(args)) {
    const message = 'Validation failed: the arguments must be an object';
    return errorResult(message, { error: 'Bad Request', message: 'Validation failed',
      details: { issues: [{ path: [], message: 'the arguments must be an object' }] } });
  }
  const unknown = unknownKeys(tool, args);
  if (unknown.length) {
    const message = 'Validation failed: ' + unknown.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return errorResult(message, { error: 'Bad Request', message: 'Validation failed', details: { issues: unknown } });
  }
  try {
    const answer = await db[tool.method](tenant, args);
    return { content: [{ type: 'text', text: tool.summary(answer) }], structuredContent: answer };
  } catch (e) {
    const document = e && e.document ? e.document : { error: 'Internal Server Error', message: String(e && e.message) };
    return errorResult(`Error (${document.error}): ${e && e.message ? e.message : document.message}`, document);
  }
}

module.exports = { listTools, callTool, TOOL_NAMES: TOOLS.map((t) => t.name) };
