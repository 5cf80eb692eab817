// The reference servers the benchmark compares against: the nginx configuration.
import { describe, expect, it } from 'vitest';
import { nginxConf } from '../../../bench/servers.js';

describe('nginx configuration', () => {
  it('has one worker, sendfile, no access log, long keep-alive, state in the run dir', () => {
    const conf = nginxConf({ dir: '/tmp/run/nginx', root: '/tmp/run/www', port: 4321 });
    for (const line of ['worker_processes 1;', 'daemon off;', 'sendfile on;', 'access_log off;', 'keepalive_requests 1000000;', 'listen 127.0.0.1:4321;', 'root /tmp/run/www;', 'pid /tmp/run/nginx/nginx.pid;']) {
      expect(conf).toContain(line);
    }
  });
});
