import { exitIfNodeTooOld } from './nodeVersion.js';

// The process entry point. The Node.js version is checked before the rest is even loaded: an older
// Node would otherwise fail inside a dependency with an error that says nothing useful.
exitIfNodeTooOld();
await import('./cli/serve.js');
