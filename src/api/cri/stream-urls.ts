/**
 * Exec, Attach and PortForward answer with a URL of the streaming server (api/cri/streaming),
 * where the client (kubelet, crictl) then speaks SPDY or WebSocket. The runtime service asks
 * this interface for those URLs; without a streaming server the RPCs answer UNIMPLEMENTED.
 */
export interface ExecUrlRequest {
  container_id: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachUrlRequest {
  container_id: string;
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface PortForwardUrlRequest {
  pod_sandbox_id: string;
  port: number[];
}

export interface StreamUrls {
  exec(req: ExecUrlRequest): Promise<{ url: string }>;
  attach(req: AttachUrlRequest): Promise<{ url: string }>;
  portForward(req: PortForwardUrlRequest): Promise<{ url: string }>;
}
