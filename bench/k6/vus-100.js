// The echo scenario check (echo.js) with 100 virtual users.
//   k6 run -e WS_PORT=18720 bench/k6/vus-100.js
import { scenario } from './echo.js';

export { default } from './echo.js';
export const options = scenario(100);
