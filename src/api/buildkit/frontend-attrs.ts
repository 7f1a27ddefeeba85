// TEMP stub (helper E delivers the real one)
export interface SolveRequest { Ref: string; Session: string; Frontend: string; FrontendAttrs: Record<string, string>; Exporters: Array<{ Type: string; Attrs: Record<string, string> }>; ExporterDeprecated: string; ExporterAttrsDeprecated: Record<string, string> }
export function frontendOptions(attrs: Record<string, string>): Record<string, string> { return attrs; }
export function exportSpecs(req: SolveRequest): SolveRequest['Exporters'] { return req.Exporters; }
