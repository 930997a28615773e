// The JSON-LD @context calle's NGSI-LD answers carry: calle's context (which imports the Smart
// Data Models context for the standard attributes and adds what the models lack), then the NGSI-LD
// core context last (ETSI GS CIM 009 §5.5.7: the core context is always in force and must not be overridden).
// calle's terms live under the `urn:calle:ngsi-ld:` namespace: a URN names them without claiming a
// web domain calle does not own; the context document itself is served by the coordinator.

export const CORE_CONTEXT = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
export const SDM_CONTEXT = 'https://smartdatamodels.org/context.jsonld';
export const CALLE_CONTEXT_PATH = '/ngsi-ld/contexts/calle.jsonld';
export const CALLE_VOCAB = 'urn:calle:ngsi-ld:';

/** Attributes calle adds to the standard models, with their meaning. */
export const CALLE_TERMS: Readonly<Record<string, { readonly type?: string; readonly comment: string }>> = {
  predictedFullTime: {
    type: 'https://uri.etsi.org/ngsi-ld/DateTime',
    comment:
      'WasteContainer: when the container is expected to reach 100 % fill, from a least-squares trend since its last emptying.',
  },
};

/**
 * The calle context document (served at CALLE_CONTEXT_PATH). It imports the SDM context, so one
 * URL — the only thing an application/json answer's Link header can carry — brings both.
 */
export function calleContextDocument(): Record<string, unknown> {
  const terms: Record<string, unknown> = {};
  for (const [term, def] of Object.entries(CALLE_TERMS))
    terms[term] = def.type ? { '@id': `${CALLE_VOCAB}${term}`, '@type': def.type } : `${CALLE_VOCAB}${term}`;
  return { '@context': [SDM_CONTEXT, terms] };
}

/** The @context of an application/ld+json answer, with calle's context under `baseUrl`. */
export function answerContext(baseUrl: string): string[] {
  return [`${baseUrl}${CALLE_CONTEXT_PATH}`, CORE_CONTEXT];
}

/** The Link header that carries the context of an application/json answer (§6.3.5). */
export function contextLinkHeader(url: string): string {
  return `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
}
