import { logger } from '../../src/core/log';

// Test files log at warn until an app they start configures the logger from its own config:
// migrations and helpers would otherwise fill the test output with info lines.
logger.level = 'warn';
