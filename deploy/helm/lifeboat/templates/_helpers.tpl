{{/* Names and labels shared by every object. */}}
{{- define "lifeboat.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lifeboat.labels" -}}
app.kubernetes.io/name: lifeboat
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The selector of one component: (dict "root" $ "component" "snapshot-service"). */}}
{{- define "lifeboat.selector" -}}
app.kubernetes.io/name: lifeboat
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "lifeboat.image" -}}
{{ .root.Values.image.registry }}/lifeboat-{{ .component }}:{{ .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- end -}}

{{/* What a pod of Lifeboat may do: nothing beyond its own process. */}}
{{- define "lifeboat.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The environment every service and the agent share: Kafka, tokens, traces, JVM options. */}}
{{- define "lifeboat.commonEnv" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ required "kafka.bootstrapServers is required" .Values.kafka.bootstrapServers | quote }}
- name: QUARKUS_HTTP_HOST
  value: "0.0.0.0"
- name: JAVA_OPTS_APPEND
  value: {{ .Values.javaOptions | quote }}
{{- if .Values.auth.oidcAuthServerUrl }}
- name: QUARKUS_OIDC_AUTH_SERVER_URL
  value: {{ .Values.auth.oidcAuthServerUrl | quote }}
{{- else }}
- name: QUARKUS_OIDC_PUBLIC_KEY
  value: {{ required "auth.oidcAuthServerUrl, or auth.publicKey and auth.issuer, are required" .Values.auth.publicKey | quote }}
- name: QUARKUS_OIDC_TOKEN_ISSUER
  value: {{ required "auth.issuer is required with auth.publicKey" .Values.auth.issuer | quote }}
{{- end }}
{{- if .Values.tracing.otlpEndpoint }}
- name: QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  value: {{ .Values.tracing.otlpEndpoint | quote }}
{{- end }}
{{- end -}}

{{/* The database, for the four services. */}}
{{- define "lifeboat.databaseEnv" -}}
{{- $pg := .Values.postgresql -}}
{{- $host := required "postgresql.host is required" $pg.host -}}
- name: QUARKUS_DATASOURCE_JDBC_URL
  value: {{ printf "jdbc:postgresql://%s:%v/%s" $host $pg.port $pg.database | quote }}
- name: QUARKUS_DATASOURCE_REACTIVE_URL
  value: {{ printf "postgresql://%s:%v/%s" $host $pg.port $pg.database | quote }}
- name: QUARKUS_DATASOURCE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "postgresql.existingSecret is required" $pg.existingSecret }}
      key: {{ $pg.usernameKey }}
- name: QUARKUS_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $pg.existingSecret }}
      key: {{ $pg.passwordKey }}
{{- end -}}

{{/* Object storage, for snapshot-, retention- and restore-service. */}}
{{- define "lifeboat.s3Env" -}}
{{- $s3 := .Values.s3 -}}
- name: LIFEBOAT_S3_ENDPOINT
  value: {{ required "s3.endpoint is required" $s3.endpoint | quote }}
- name: LIFEBOAT_S3_REGION
  value: {{ $s3.region | quote }}
- name: LIFEBOAT_S3_BUCKET
  value: {{ $s3.bucket | quote }}
- name: LIFEBOAT_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "s3.existingSecret is required" $s3.existingSecret }}
      key: {{ $s3.accessKeyKey }}
- name: LIFEBOAT_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret }}
      key: {{ $s3.secretKeyKey }}
{{- end -}}

{{/* Encryption keys as files, for snapshot- and restore-service. */}}
{{- define "lifeboat.encryptionEnv" -}}
{{- if .Values.encryption.activeKey }}
- name: LIFEBOAT_ENCRYPTION_ACTIVE_KEY
  value: {{ .Values.encryption.activeKey | quote }}
{{- range .Values.encryption.keyIds }}
- name: {{ printf "LIFEBOAT_ENCRYPTION_KEYS_%s_FILE" (. | upper | replace "-" "_") }}
  value: {{ printf "/etc/lifeboat/encryption/%s" . | quote }}
{{- end }}
{{- end }}
{{- end -}}
