/** What the instances (the queue's producer side) may use beside the queue's ports, services and entities. */
export { JobRepository, type JobsWrite, type NewJob } from './job.repository.js';
export { OutboxRelay } from './outbox-relay.js';
