// The echo scenario check (echo.js) with 1000 virtual users.
//   k6 run -e WS_PORT=18720 bench/k6/vus-1000.js
import { scenario } from './echo.js';

export { default } from './echo.js';
export const options = scenario(1000);
