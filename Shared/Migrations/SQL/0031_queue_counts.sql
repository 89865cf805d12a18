-- The queues' gauges, counted by the maintenance leader every few seconds and read by every process: one pass
-- over the jobs table per interval for the whole deployment, where each process used to count the table itself
-- (five processes, or more with several instances each, each reading every row of a backlog every five seconds).
CREATE TABLE job_queue_counts (
    queue                text             PRIMARY KEY,
    ready                bigint           NOT NULL,
    running              bigint           NOT NULL,
    scheduled            bigint           NOT NULL,
    retrying             bigint           NOT NULL,
    dead                 bigint           NOT NULL,
    oldest_ready_seconds double precision NOT NULL,
    counted_at           timestamptz      NOT NULL
);
