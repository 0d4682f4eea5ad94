/** The mapping from core reports to the Prometheus metrics of DESIGN.md (one place). */
import type { Report } from '@airlock/rsn';
import type { AirlockMetrics } from './metrics.js';
import { akmLabel } from './akm-names.js';

/** Updates the metrics a report affects. */
export function recordReport(m: AirlockMetrics, r: Report): void {
  switch (r.kind) {
    case 'handshake':
      m.handshakes.inc({ result: r.result });
      break;
    case 'joined':
      m.joinDuration.observe({ akm: akmLabel(r.akm) }, r.joinMs / 1000);
      break;
    case 'frame-dropped':
      m.framesDropped.inc({ reason: r.reason });
      break;
    case 'station-phase':
      if (r.from) m.stationDeltas[r.from]--;
      if (r.to) m.stationDeltas[r.to]++;
      break;
    case 'mic-failure-diagnosis':
      m.micFailureDiagnoses.inc({ cause: r.diagnosis.cause });
      break;
    case 'eap':
      m.eapAuthentications.inc({ result: r.result });
      break;
    case 'command-failed':
      m.agentCommandFailures.inc({ command: r.command });
      break;
    case 'sae':
      m.saeAuthentications.inc({ result: r.result.replace(/-/g, '_') });
      break;
    case 'group-rekey':
    case 'pmksa':
    case 'duplicate-association':
    case 'station-left':
    case 'agent-expired':
      break; // logged only (a duplicate association is also a frame-dropped report)
    default: {
      const never: never = r;
      throw new Error(`unknown report ${JSON.stringify(never)}`);
    }
  }
}
