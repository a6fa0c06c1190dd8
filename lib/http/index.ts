export { registerRoutes, type ExpressLike, type Middleware, type Registration, type RouteOwner, type HttpSettings } from './dispatcher';
export { corsMiddleware, type CorsSettings } from './cors';
export { answerFailure, guarded } from './error-boundary';
