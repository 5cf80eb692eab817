{{- define "kubecdn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* As `helm create` makes it: fullnameOverride, else the release name when it already holds the chart's name. */}}
{{- define "kubecdn.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "kubecdn.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kubecdn.labels" -}}
app.kubernetes.io/name: {{ include "kubecdn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "kubecdn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubecdn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "kubecdn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kubecdn.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kubecdn.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "kubecdn.leaseName" -}}
{{- printf "%s-leader" (include "kubecdn.fullname" .) -}}
{{- end -}}

{{/*
The operator's (and the test hook's) pod securityContext: operator.podSecurityContext (user and groups; unset ones
are left to the platform) under Pod Security "restricted", whose runAsNonRoot and RuntimeDefault seccomp win.
*/}}
{{- define "kubecdn.podSecurityContext" -}}
{{- $restricted := dict "runAsNonRoot" true "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- toYaml (merge $restricted (deepCopy (.Values.operator.podSecurityContext | default dict))) }}
{{- end }}
