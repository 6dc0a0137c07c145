import type { AdmitRequest } from '../../core/flow-state';
import { admissionFromEnv, taskHandler } from './wiring';

const admission = admissionFromEnv();

export const handler = taskHandler((input: AdmitRequest) => admission.admit(input));
