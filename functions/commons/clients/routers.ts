// The clients the traffic routers use, for Lambda functions: each backend's module-scope client
// (one module per client, so a bundle carries only the SDKs it uses).
import type { RouterClients } from '../routers/index.ts';
import { appMesh } from './appmesh.ts';
import { lattice } from './lattice.ts';

export const routerClients: RouterClients = { appMesh: () => appMesh, lattice: () => lattice };
