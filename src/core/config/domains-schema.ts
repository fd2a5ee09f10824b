import { z } from 'zod';
import { section } from './schema-parts';

/**
 * The settings of the business domains: customer-service events (`cs`) and
 * the risk scan of zeus orders (`risk`).
 */

export const csSection = section({
  stale_after_minutes: z
    .number()
    .int()
    .min(1)
    .default(24 * 60)
    .describe('An event not done and untouched for this long gets its priority raised one step.'),
});

export const riskSection = section({
  scan_page_size: z.number().int().min(1).max(1000).default(200).describe('Orders read from zeus per call of a scan.'),
  scan_max_pages: z
    .number()
    .int()
    .min(1)
    .default(50)
    .describe('Most pages one scan reads; the next scan goes on from the cursor.'),
  report_attempts: z
    .number()
    .int()
    .min(1)
    .default(8)
    .describe('Tries of reporting a fraud verdict to zeus before it is parked as failed.'),
  report_backoff_ms: z
    .number()
    .int()
    .min(1)
    .default(5000)
    .describe('Wait before the first retry of a report; doubles each time.'),
});
