/** Generates TypeScript types (openapi-typescript 7) for an OpenAPI 3.x document. */
export declare function generateClientTypes(document: object, options?: { enum?: boolean }): Promise<string>;
