import { ownEnvironment } from '../helpers/own-database';

// jest.config.js removed the caller's TANDEM_* variables before the workers started; a worker started some
// other way (a config loaded elsewhere) is cleaned here too, before any test file reads the environment.
ownEnvironment(process.env);
