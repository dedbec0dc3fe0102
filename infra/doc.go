// Package infra holds the components of a Rails app's AWS home: Network, Database, Cache
// (optional), AppService, Domain and Monitoring, each a Pulumi ComponentResource that main.go
// composes.
//
// Conventions, so one setting is followed from Pulumi.yaml to its resource in two files:
//
//   - Files of one component share a prefix (network*.go, database*.go, cache*.go, service*.go,
//     domain*.go, monitoring*.go), so `ls infra/` shows the architecture. config.go, profile.go and
//     problem.go are the shared config machinery; account.go and iam.go are shared AWS helpers.
//   - A component is an exported struct embedding pulumi.ResourceState, with typed outputs and
//     NewX(ctx, name, args *XArgs, opts...). NewX runs: defaults → validate → RegisterComponentResource
//     ("rails-infra:infra:X") → children with pulumi.Parent → RegisterResourceOutputs.
//   - One setting, one field: a config key is the XArgs field tagged `config:"key"`, of the same name
//     (database keys drop their "db" prefix) and polarity. Its doc comment says its default and
//     what is valid.
//   - One default: a zero field means "the default". Constants sit in XArgs.defaults(); every
//     dev/prod difference is a row of the Profiles table (profile.go). Zero Args equal the dev profile.
//     Pointer fields (*int, *bool) are settings whose zero value is meaningful (0 days, false).
//   - One rule: every rule about a setting is written once, in XArgs.problems(), as a FieldProblem
//     naming the field. The config layer (config.go) only parses the form of values (a number,
//     a list, a secret) and renders problems by config key with a paste-ready `pulumi config` fix;
//     NewX renders the same problems by field name for Go callers.
//   - Components hand each other typed values (Database.Endpoint(), AppService.Target()), never config.
//   - Settings that change how many resources exist are plain Go values; values passed through to
//     AWS from other resources are pulumi.Input.
package infra
