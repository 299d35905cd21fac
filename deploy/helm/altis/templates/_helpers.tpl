{{- define "altis.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "altis.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: api, worker, consumers, migrations. */}}
{{- define "altis.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "altis.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "altis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ .Values.serviceAccount.name | default (include "altis.fullname" .) }}
{{- else -}}
{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{- define "altis.secretName" -}}
{{ .Values.secrets.existingSecret | default (printf "%s-secrets" (include "altis.fullname" .)) }}
{{- end -}}

{{/* The environment of every Altis container: settings from the ConfigMap, secrets from the Secret. */}}
{{- define "altis.envFrom" -}}
- configMapRef:
    name: {{ include "altis.fullname" . }}-config
- secretRef:
    name: {{ include "altis.secretName" . }}
{{- end -}}

{{/* The pod-level settings shared by every component. */}}
{{- define "altis.podSpec" -}}
serviceAccountName: {{ include "altis.serviceAccountName" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* A writable /tmp under a read-only root filesystem. */}}
{{- define "altis.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir: {}
{{- end -}}
{{- define "altis.tmpMount" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}
