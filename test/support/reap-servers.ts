import { reapServers } from './child-process';

// After every integration file: whatever server it started and did not stop (a failed test never reaches its own
// stop) is killed, so that it neither outlives the run nor keeps jest from exiting.
afterAll(reapServers);
