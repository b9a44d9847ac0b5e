{{/*
Names and labels. The operator names a Seckill's children <seckill>-<slug> (operator/desired/labels.ts#childName) and
selects their pods by app.kubernetes.io/{name: couponkill, instance: <seckill>, component: <slug>} (selectorLabels);
the helpers below mirror both, and test/chart.int.ts checks them against what the operator really creates.
*/}}

{{/* Prefix of every object the chart itself names: <release>-couponkill, or the release name when it says couponkill. */}}
{{- define "couponkill.fullname" -}}
{{- if contains "couponkill" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-couponkill" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The stable Seckill's name (seckill.name, else the release name). */}}
{{- define "couponkill.seckillName" -}}
{{- .Values.seckill.name | default .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "couponkill.canaryName" -}}
{{- printf "%s-canary" (include "couponkill.seckillName" .) -}}
{{- end -}}

{{/* <repository>:<tag>, tag defaulting to the chart's appVersion. */}}
{{- define "couponkill.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "couponkill.canaryImage" -}}
{{- $repository := .Values.canary.image.repository | default .Values.image.repository -}}
{{- $tag := .Values.canary.image.tag | default .Values.image.tag | default .Chart.AppVersion -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{/* Labels on every object the chart renders. No timestamps or random values: a re-render must be identical. */}}
{{- define "couponkill.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: couponkill
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "couponkill.operatorSelectorLabels" -}}
app.kubernetes.io/name: couponkill-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The slug of a service (labels.ts ROLES[service].slug). */}}
{{- define "couponkill.slug" -}}
{{- get (dict "writeApi" "write-api" "readApi" "read-api" "relay" "relay" "projector" "projector") . -}}
{{- end -}}

{{/*
An API's Service port, as defaults.ts resolves it: the first of services.<api>.ports, else 8080 (writeApi) or 8081
(readApi). Argument: (list $ "writeApi").
*/}}
{{- define "couponkill.apiPort" -}}
{{- $root := index . 0 -}}
{{- $service := index . 1 -}}
{{- $spec := dig "services" $service dict $root.Values.seckill.spec -}}
{{- $ports := $spec.ports | default list -}}
{{- if $ports -}}
{{- (first $ports).port -}}
{{- else -}}
{{- get (dict "writeApi" 8080 "readApi" 8081) $service -}}
{{- end -}}
{{- end -}}

{{/* The port an API's container listens on: the first port's targetPort, else its port (defaults.ts). */}}
{{- define "couponkill.apiTargetPort" -}}
{{- $root := index . 0 -}}
{{- $service := index . 1 -}}
{{- $spec := dig "services" $service dict $root.Values.seckill.spec -}}
{{- $ports := $spec.ports | default list -}}
{{- if $ports -}}
{{- (first $ports).targetPort | default (first $ports).port -}}
{{- else -}}
{{- get (dict "writeApi" 8080 "readApi" 8081) $service -}}
{{- end -}}
{{- end -}}

{{/* Every role's ops port (services.<role>.opsPort, default 9090), distinct, as a JSON list of numbers. */}}
{{- define "couponkill.opsPorts" -}}
{{- $ports := list -}}
{{- range $service := list "writeApi" "readApi" "relay" "projector" -}}
{{- $ports = append $ports (dig "services" $service "opsPort" 9090 $.Values.seckill.spec | int) -}}
{{- end -}}
{{- $ports | uniq | toJson -}}
{{- end -}}

{{/* The in-cluster host of one of a Seckill's Services. Argument: (list $ <seckill name> "writeApi"). */}}
{{- define "couponkill.serviceHost" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s.%s.svc.cluster.local" (index . 1) (include "couponkill.slug" (index . 2)) $root.Release.Namespace -}}
{{- end -}}

{{/* Cross-field rules the schema cannot say; rendered by every template that depends on them. */}}
{{- define "couponkill.validate" -}}
{{- if and .Values.canary.enabled (not .Values.istio.enabled) -}}
{{- fail "canary.enabled=true needs istio.enabled=true: the canary's traffic share is an Istio VirtualService weight, so without Istio it would get no traffic. Set istio.enabled=true, or run without a canary (canary.enabled=false)." -}}
{{- end -}}
{{- end -}}

{{/*
The destinations of one API's route: stable alone, or stable and canary by weight (Istio wants weights that sum to 100,
so without a canary share there is one destination and no weight). Arguments: root, stable name, canary name, API,
port, split (bool), weight.
*/}}
{{- define "couponkill.canaryRoute" -}}
{{- $root := index . 0 -}}
{{- $api := index . 3 -}}
{{- $port := index . 4 -}}
{{- $weight := index . 6 -}}
- destination:
    host: {{ include "couponkill.serviceHost" (list $root (index . 1) $api) }}
    port: { number: {{ $port }} }
  {{- if index . 5 }}
  weight: {{ sub 100 $weight }}
- destination:
    host: {{ include "couponkill.serviceHost" (list $root (index . 2) $api) }}
    port: { number: {{ $port }} }
  weight: {{ $weight }}
  {{- end }}
{{- end }}

{{- /*
The web app's cross-origin settings from the gateway's hosts (README, "Web app"): the app is served by read-api on
its host, so write-api allows that origin (COUPONKILL_CORS_ORIGINS) and read-api tells the app where write-api is
(COUPONKILL_PUBLIC_WRITE_API_URL); https when the gateway has a certificate. Added to a Seckill spec's services, in
place, unless the values already set them; a wildcard host names no origin and sets nothing. Call with (list $ $spec).
*/ -}}
{{- define "couponkill.webAppEnv" -}}
{{- $root := index . 0 -}}
{{- $spec := index . 1 -}}
{{- $gateway := $root.Values.istio.gateway -}}
{{- if and $root.Values.istio.enabled $gateway.enabled -}}
{{- $scheme := ternary "https" "http" (not (empty $gateway.tls.credentialName)) -}}
{{- $services := get $spec "services" | default dict -}}
{{- range $pair := list (list "writeApi" "COUPONKILL_CORS_ORIGINS" $gateway.hosts.readApi) (list "readApi" "COUPONKILL_PUBLIC_WRITE_API_URL" $gateway.hosts.writeApi) -}}
{{- $api := index $pair 0 -}}
{{- $name := index $pair 1 -}}
{{- $host := index $pair 2 -}}
{{- if and $host (not (contains "*" $host)) -}}
{{- $service := get $services $api | default dict -}}
{{- $env := get $service "env" | default list -}}
{{- $names := list -}}
{{- range $env -}}{{- $names = append $names .name -}}{{- end -}}
{{- if not (has $name $names) -}}
{{- $_ := set $service "env" (append $env (dict "name" $name "value" (printf "%s://%s" $scheme $host))) -}}
{{- $_ := set $services $api $service -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $spec "services" $services -}}
{{- end -}}
{{- end -}}
