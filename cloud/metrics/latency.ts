// Histogram buckets, in seconds, for the latencies the cloud measures (queries, leases, batches).
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
