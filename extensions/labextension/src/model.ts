// W3C Web Annotation documents as the ECHOES annotation service stores them: building
// them (the same JSON as `echoes.annotations`), reading them, grouping them for display.

import { Region, regionOfSelector, selectorOf, Size } from './geometry';
import {
  ASSESSING,
  Group,
  GROUPS,
  MOTIVATION_LABELS,
  REPLYING,
  TAG_SEPARATOR,
  VERDICTS
} from './rules';

export const ANNO_CONTEXT = 'http://www.w3.org/ns/anno.jsonld';

export type Body = { type?: string; value?: string; purpose?: string; format?: string };

/** An annotation as the service returns it (the fields this extension reads). */
export interface Annotation {
  id: string;
  type?: string;
  motivation?: string | string[];
  target?: unknown;
  body?: Body | Body[];
  creator?: {
    id?: string;
    type?: string;
    nickname?: string;
    name?: string;
    actedOnBehalfOf?: { nickname?: string };
  };
  visibility?: string;
  confidence?: number;
  created?: string;
  modified?: string;
  [key: string]: unknown;
}

/** What a person fills in for a new or edited annotation. */
export interface Draft {
  text: string;
  tags: string[];
  motivation: string;
  visibility: string;
}

/** A region of a canvas: the target `echoes.annotations.region(canvas, x, y, w, h)` (a
 * rectangle) or `echoes.annotations.polygon(canvas, points)` makes. */
export function regionTarget(canvas: string | object, region: Region): object {
  return { type: 'SpecificResource', source: canvas, selector: selectorOf(region) };
}

/** Tags typed as "a, Roman Britain" (commas: a tag may have spaces), without blanks or repeats. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(TAG_SEPARATOR)
    .map(t => t.trim())
    .filter(t => t.length > 0);
  return Array.from(new Set(tags));
}

/** The annotation document `AnnotationClient.document(target, text, motivation, tags, visibility)` builds. */
export function buildAnnotation(target: unknown, draft: Draft): Record<string, unknown> {
  const bodies: Body[] = [];
  if (draft.text.trim()) {
    bodies.push({ type: 'TextualBody', value: draft.text.trim(), format: 'text/plain' });
  }
  for (const tag of draft.tags) {
    bodies.push({ type: 'TextualBody', value: tag, purpose: 'tagging' });
  }
  const doc: Record<string, unknown> = {
    '@context': ANNO_CONTEXT,
    type: 'Annotation',
    motivation: draft.motivation,
    target,
    visibility: draft.visibility
  };
  if (bodies.length) {
    doc.body = bodies.length === 1 ? bodies[0] : bodies;
  }
  return doc;
}

/** An edited annotation: the stored one with a new body, motivation and visibility, and
 * `target` when its region was moved or resized. */
export function editedAnnotation(
  stored: Annotation,
  draft: Draft,
  target?: unknown
): Record<string, unknown> {
  const fresh = buildAnnotation(target ?? stored.target, draft);
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!['body', 'motivation', 'visibility', 'etag'].includes(key)) {
      kept[key] = value;
    }
  }
  return { ...kept, ...fresh };
}

/** The `assessing` reply that `AnnotationClient.accept/reject` makes about a proposal. */
export function assessment(
  proposal: string,
  verdict: 'accepted' | 'rejected',
  note = '',
  visibility = 'public'
): Record<string, unknown> {
  const bodies: Body[] = [{ type: 'TextualBody', value: verdict, purpose: 'assessing' }];
  if (note.trim()) {
    bodies.push({ type: 'TextualBody', value: note.trim(), purpose: 'commenting' });
  }
  return {
    '@context': ANNO_CONTEXT,
    type: 'Annotation',
    motivation: ASSESSING,
    target: proposal,
    visibility,
    body: bodies.length === 1 ? bodies[0] : bodies
  };
}

function bodiesOf(annotation: Annotation): Body[] {
  const body = annotation.body;
  if (!body) {
    return [];
  }
  return Array.isArray(body) ? body : [body];
}

export function tagsOf(annotation: Annotation): string[] {
  return bodiesOf(annotation)
    .filter(b => b.purpose === 'tagging' && typeof b.value === 'string')
    .map(b => b.value as string);
}

/** The words of an annotation: every textual body that is not a tag. */
export function textOf(annotation: Annotation): string {
  return bodiesOf(annotation)
    .filter(b => b.purpose !== 'tagging' && typeof b.value === 'string')
    .map(b => b.value as string)
    .join(' · ');
}

/** The first plain text body (what the form edits). */
export function mainText(annotation: Annotation): string {
  const body = bodiesOf(annotation).find(b => !b.purpose && typeof b.value === 'string');
  return body?.value ?? '';
}

export function motivationOf(annotation: Annotation): string {
  const m = annotation.motivation;
  return Array.isArray(m) ? m.join(', ') : (m ?? '');
}

/** The hub user an annotation belongs to (a person, or the user a software agent acts for). */
export function ownerOf(annotation: Annotation): string | null {
  const creator = annotation.creator;
  if (!creator) {
    return null;
  }
  if (creator.type === 'Software') {
    return creator.actedOnBehalfOf?.nickname ?? null;
  }
  return creator.nickname ?? null;
}

export function isSoftware(annotation: Annotation): boolean {
  return annotation.creator?.type === 'Software';
}

export function creatorLabel(annotation: Annotation): string {
  const creator = annotation.creator;
  if (!creator) {
    return 'unknown';
  }
  if (creator.type === 'Software') {
    const owner = creator.actedOnBehalfOf?.nickname;
    return `${creator.name ?? 'software'}${owner ? ` (for ${owner})` : ''}`;
  }
  return creator.nickname ?? creator.name ?? 'unknown';
}

/** Software proposals apart; then yours, your groups', public, and others' private ones
 * (which only an administrator reads). */
export function groupOf(annotation: Annotation, me: string): Group {
  if (isSoftware(annotation)) {
    return 'software';
  }
  if (ownerOf(annotation) === me) {
    return 'yours';
  }
  const visibility = annotation.visibility ?? '';
  if (visibility.startsWith('group:')) {
    return 'groups';
  }
  return visibility === 'public' ? 'public' : 'others';
}

export function groupAnnotations(items: Annotation[], me: string): Record<Group, Annotation[]> {
  const groups = {} as Record<Group, Annotation[]>;
  for (const { key } of GROUPS) {
    groups[key] = [];
  }
  for (const item of items) {
    if (motivationOf(item) === ASSESSING || isReply(item)) {
      continue; // verdicts show on their proposal, replies under their annotation
    }
    groups[groupOf(item, me)].push(item);
  }
  return groups;
}

/** The value of an annotation's first body. */
function firstValue(annotation: Annotation): unknown {
  return bodiesOf(annotation)[0]?.value;
}

/** The verdicts (accepted/rejected) of `me`, a person, on each proposal IRI: the first
 * body of their latest assessing annotation on it (by modified, else created). */
export function verdicts(assessments: Annotation[], me: string): Map<string, string> {
  const latest = new Map<string, { stamp: string; verdict: string }>();
  for (const a of assessments) {
    const verdict = firstValue(a);
    const byMe = !isSoftware(a) && a.creator?.nickname === me;
    if (
      !byMe ||
      motivationOf(a) !== ASSESSING ||
      typeof a.target !== 'string' ||
      typeof verdict !== 'string' ||
      !VERDICTS.includes(verdict)
    ) {
      continue;
    }
    const stamp = a.modified || a.created || '';
    const known = latest.get(a.target);
    if (!known || stamp >= known.stamp) {
      latest.set(a.target, { stamp, verdict });
    }
  }
  return new Map([...latest].map(([target, { verdict }]) => [target, verdict]));
}

/** The region, in pixels of an image of size `image`, an annotation targets (its `xywh=`
 * FragmentSelector or SvgSelector polygon), if any. */
export function regionOf(annotation: Annotation, image: Size): Region | null {
  const targets = Array.isArray(annotation.target) ? annotation.target : [annotation.target];
  for (const target of targets) {
    if (!target || typeof target !== 'object') {
      continue;
    }
    const raw = (target as { selector?: unknown }).selector;
    for (const selector of Array.isArray(raw) ? raw : [raw]) {
      const region = regionOfSelector(selector, image);
      if (region) {
        return region;
      }
    }
  }
  return null;
}

/** A motivation in plain words ("commenting" is "Comment"); several joined by commas. */
export function motivationLabel(annotation: Annotation): string {
  const m = annotation.motivation;
  const list = Array.isArray(m) ? m : m ? [m] : [];
  return list.map(one => MOTIVATION_LABELS[one] ?? one).join(', ');
}

/** Whether an annotation is a reply (W3C motivation `replying`) to another annotation. */
export function isReply(annotation: Annotation): boolean {
  return motivationOf(annotation) === REPLYING && typeof annotation.target === 'string';
}

/** The reply `AnnotationClient.reply` makes: motivation replying, target the annotation's IRI. */
export function buildReply(
  annotation: string,
  text: string,
  visibility: string
): Record<string, unknown> {
  return {
    '@context': ANNO_CONTEXT,
    type: 'Annotation',
    motivation: REPLYING,
    target: annotation,
    visibility,
    body: { type: 'TextualBody', value: text.trim(), format: 'text/plain' }
  };
}

/** The replies to each annotation IRI, oldest first (a thread reads top to bottom). */
export function threads(replies: Annotation[]): Map<string, Annotation[]> {
  const found = new Map<string, Annotation[]>();
  for (const reply of replies) {
    if (isReply(reply)) {
      const target = reply.target as string;
      found.set(target, [...(found.get(target) ?? []), reply]);
    }
  }
  for (const list of found.values()) {
    list.sort((a, b) => (a.created ?? '').localeCompare(b.created ?? ''));
  }
  return found;
}

/** Whether a proposal is shown at the confidence threshold `least` (0..1): one that says
 * no confidence is always shown, as are annotations of people. */
export function confident(annotation: Annotation, least: number): boolean {
  if (!isSoftware(annotation) || typeof annotation.confidence !== 'number') {
    return true;
  }
  return annotation.confidence >= least;
}

/** An annotation IRI relative to the service (`containers/default/<id>`), for the pass-through. */
export function servicePath(iri: string): string {
  const marker = '/services/annotations/';
  const at = iri.indexOf(marker);
  return at >= 0 ? iri.slice(at + marker.length) : iri.replace(/^\/+/, '');
}

/** A short fingerprint of a list, to redraw only when something changed. */
export function fingerprint(items: Annotation[]): string {
  return items
    .map(a => `${a.id}@${a.modified ?? ''}`)
    .sort()
    .join('|');
}

/** A person-readable message from a refusal: the service's JSON `message` (and field). */
export function errorMessage(status: number, body: unknown, fallback = ''): string {
  if (body && typeof body === 'object') {
    const message = (body as { message?: unknown }).message;
    const field = (body as { field?: unknown }).field;
    if (typeof message === 'string' && message) {
      return `${message}${typeof field === 'string' && field && field !== '$' ? ` (${field})` : ''}`;
    }
  }
  if (typeof body === 'string' && body.trim() && !body.trim().startsWith('<')) {
    return body.trim().slice(0, 300);
  }
  const reasons: Record<number, string> = {
    401: 'you are not logged in any more: reload the page',
    403: 'the service refused: you may not do this',
    404: 'not found (it may have been deleted)',
    412: 'someone changed it meanwhile: reload and try again'
  };
  return reasons[status] ?? (fallback || `the service answered ${status}`);
}

/** A page of a search: its annotations and the address of the next page. */
export interface AnnotationPage {
  items: Annotation[];
  next?: string;
}

/** The page in a search reply, or null when the reply is something else: a server that
 * went away can be answered for by the hub or the proxy, even with status 200 and HTML. */
export function annotationPage(body: unknown): AnnotationPage | null {
  if (!body || typeof body !== 'object' || !Array.isArray((body as AnnotationPage).items)) {
    return null;
  }
  const { items, next } = body as AnnotationPage;
  if (!items.every(a => a && typeof a === 'object' && typeof a.id === 'string')) {
    return null;
  }
  return typeof next === 'string' ? { items, next } : { items };
}

export const RETRYING = 'Trying again every few seconds…';

/** What a view that polls says when a poll failed: HTTP `status` (0: no answer at all)
 * and the refusal's message. Polling goes on: the view recovers when the server is back. */
export function pollMessage(status: number, message: string): string {
  if (status === 0 || status === 424) {
    return `Your server is not answering: it is stopped or restarting. ${RETRYING}`;
  }
  // jupyter_server's own refusal ("Forbidden"): this page's login is of a server that
  // has since stopped; only loading the page again signs in to the new one.
  if (status === 401 || (status === 403 && message === 'Forbidden')) {
    return 'Your server was restarted and no longer knows this page: reload the page to sign in again.';
  }
  if (status >= 502 && status <= 504) {
    return `The annotation service is not answering (${message}). ${RETRYING}`;
  }
  return `${message}. ${RETRYING}`;
}
