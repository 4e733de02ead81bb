// oidc-provider 8 ships no type declarations; src/sandbox/server.ts types the slice it uses.
declare module 'oidc-provider';
