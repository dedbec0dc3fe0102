// Package enginetest runs the program under the real Pulumi CLI and engine, offline: it builds
// the pinned CLI once, and serves recording fake providers for aws and awsx that the engine
// attaches to (PULUMI_DEBUG_PROVIDERS) instead of loading plugins.
//
// The fake providers answer with the mock engine's realistic values (internal/mockengine), keep
// a fake cloud of what exists, and record every call the engine makes with its URN and order.
// Their Diff reports a change whenever the inputs differ and never asks for a replacement: the
// real providers' replace rules are not imitated.
package enginetest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// Call is one call the engine made on a fake provider.
type Call struct {
	Seq     int    // order across both providers, from 1 (when the call started)
	Done    int    // Delete only: the clock when it returned (Seq and Done share one clock)
	Package string // aws or awsx
	Method  string // Configure, Check, Diff, Create, Read, Update, Delete, Invoke, Construct
	URN     string // the resource's URN; for Invoke the function token
	Type    string // the resource type token
	ID      string
	Preview bool
	// Changes are the input keys Diff found different (Diff only).
	Changes []string
	// Inputs are the new inputs (Check, Diff, Create, Update, Construct, Invoke) or the old
	// outputs (Delete).
	Inputs resource.PropertyMap
}

// String is a call as a failure message shows it.
func (c Call) String() string {
	s := fmt.Sprintf("#%d %s %s %s", c.Seq, c.Package, c.Method, c.URN)
	if c.Preview {
		s += " (preview)"
	}
	if len(c.Changes) > 0 {
		s += " changes=" + strings.Join(c.Changes, ",")
	}
	return s
}

// Object is one resource that exists in the fake cloud.
type Object struct {
	URN, Type, ID string
	State         resource.PropertyMap
}

// Fake is the aws and awsx providers of one stack, their call log and their fake cloud.
type Fake struct {
	// Answers gives ids, ARNs and invoke results; set HostedZones on it for getZone.
	Answers *mockengine.Recorder

	mu      sync.Mutex
	calls   []Call
	clock   int
	cloud   map[string]Object // by URN
	lifted  map[string]bool   // URNs whose deletion protection was turned off at AWS
	servers []*grpc.Server
	ports   map[string]int
}

// Start serves the fake aws and awsx providers on loopback ports. Stop them with Stop.
func Start(project, stack, region string) (*Fake, error) {
	f := &Fake{Answers: mockengine.New(project, stack, region), cloud: map[string]Object{}, lifted: map[string]bool{}, ports: map[string]int{}}
	for _, pkg := range []string{"aws", "awsx"} {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.Stop()
			return nil, err
		}
		srv := grpc.NewServer()
		pulumirpc.RegisterResourceProviderServer(srv, &fakeProvider{pkg: pkg, fake: f})
		go srv.Serve(lis) //nolint:errcheck // Serve returns when Stop closes the listener
		f.servers = append(f.servers, srv)
		f.ports[pkg] = lis.Addr().(*net.TCPAddr).Port
	}
	return f, nil
}

// Stop shuts the providers down.
func (f *Fake) Stop() {
	for _, s := range f.servers {
		s.Stop()
	}
}

// DebugProviders is the PULUMI_DEBUG_PROVIDERS value that makes the engine attach to the fakes.
func (f *Fake) DebugProviders() string {
	return fmt.Sprintf("aws:%d,awsx:%d", f.ports["aws"], f.ports["awsx"])
}

// Calls returns every call so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Mark is the number of calls so far; CallsSince(mark) gives the calls of one operation.
func (f *Fake) Mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// CallsSince returns the calls made after mark.
func (f *Fake) CallsSince(mark int) []Call { return f.Calls()[mark:] }

// Cloud returns what exists in the fake cloud, sorted by URN.
func (f *Fake) Cloud() []Object {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Object, 0, len(f.cloud))
	for _, o := range f.cloud {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// Exists reports whether the resource with this URN exists in the fake cloud.
func (f *Fake) Exists(urn string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.cloud[urn]
	return ok
}

func (f *Fake) record(c Call) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock++
	c.Seq = f.clock
	f.calls = append(f.calls, c)
	return len(f.calls) - 1
}

// done stamps call i with the clock when it returned.
func (f *Fake) done(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock++
	f.calls[i].Done = f.clock
}

// slowDeletes are the deletes that take AWS minutes, scaled down: long enough that the engine
// would start deleting something they sit in before they finish, if it did not know the edge.
var slowDeletes = map[string]time.Duration{
	awstype.LbLoadBalancer: 500 * time.Millisecond,
	awstype.RdsInstance:    500 * time.Millisecond,
	awstype.EcsService:     500 * time.Millisecond,
	awstype.Ec2NatGateway:  300 * time.Millisecond,
}

func (f *Fake) put(o Object) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cloud[o.URN] = o
}

func (f *Fake) remove(urn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.cloud, urn)
}

var (
	unmarshal = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}
	marshal   = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}
)

// fakeProvider is one package's provider (aws or awsx) over the shared fake.
type fakeProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	pkg  string
	fake *Fake

	mu   sync.Mutex
	host *provider.HostClient
}

func (p *fakeProvider) Handshake(_ context.Context, req *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

// Attach is how the engine hands an already running provider its address.
func (p *fakeProvider) Attach(_ context.Context, req *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	host, err := provider.NewHostClient(req.GetAddress())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	old := p.host
	p.host = host
	p.mu.Unlock()
	if old != nil {
		_ = old.Close() //nolint:errcheck // the previous engine is gone
	}
	return &emptypb.Empty{}, nil
}

func (p *fakeProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	v := map[string]string{"aws": AWSVersion, "awsx": AWSXVersion}[p.pkg]
	return &pulumirpc.PluginInfo{Version: v}, nil
}

func (p *fakeProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: "{}"}, nil
}

func (p *fakeProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *fakeProvider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return p.diff(req, false)
}

func (p *fakeProvider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.fake.record(Call{Package: p.pkg, Method: "Configure", URN: req.GetUrn(), ID: req.GetId()})
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *fakeProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *fakeProvider) GetMapping(context.Context, *pulumirpc.GetMappingRequest) (*pulumirpc.GetMappingResponse, error) {
	return &pulumirpc.GetMappingResponse{}, nil
}

func (p *fakeProvider) GetMappings(context.Context, *pulumirpc.GetMappingsRequest) (*pulumirpc.GetMappingsResponse, error) {
	return &pulumirpc.GetMappingsResponse{}, nil
}

func props(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, unmarshal)
}

func (p *fakeProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := props(req.GetNews())
	if err != nil {
		return nil, err
	}
	p.fake.record(Call{Package: p.pkg, Method: "Check", URN: req.GetUrn(), Type: req.GetType(), Inputs: news})
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *fakeProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return p.diff(req, true)
}

// diff reports every input key whose value differs, as an update; never a replacement.
func (p *fakeProvider) diff(req *pulumirpc.DiffRequest, rec bool) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := props(oldStruct)
	if err != nil {
		return nil, err
	}
	news, err := props(req.GetNews())
	if err != nil {
		return nil, err
	}
	changes := ChangedKeys(olds, news)
	if rec {
		p.fake.record(Call{Package: p.pkg, Method: "Diff", URN: req.GetUrn(), Type: req.GetType(), ID: req.GetId(), Changes: changes, Inputs: news})
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	if len(changes) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.Diffs = changes
		for _, k := range changes {
			kind := pulumirpc.PropertyDiff_UPDATE
			if _, had := olds[resource.PropertyKey(k)]; !had {
				kind = pulumirpc.PropertyDiff_ADD
			} else if _, has := news[resource.PropertyKey(k)]; !has {
				kind = pulumirpc.PropertyDiff_DELETE
			}
			resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		}
	}
	return resp, nil
}

// ChangedKeys lists, sorted, the top-level keys whose values differ between two input maps.
// A value not known yet (preview) counts as a change.
func ChangedKeys(olds, news resource.PropertyMap) []string {
	var out []string
	for k, n := range news {
		o, ok := olds[k]
		if !ok || n.ContainsUnknowns() || !o.DeepEquals(n) {
			out = append(out, string(k))
		}
	}
	for k := range olds {
		if _, ok := news[k]; !ok {
			out = append(out, string(k))
		}
	}
	sort.Strings(out)
	return out
}

func (p *fakeProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	news, err := props(req.GetProperties())
	if err != nil {
		return nil, err
	}
	p.fake.record(Call{Package: p.pkg, Method: "Create", URN: req.GetUrn(), Type: req.GetType(), Preview: req.GetPreview(), Inputs: news})
	if req.GetPreview() {
		// Like a real provider: the inputs are known, what AWS computes is not yet.
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	id, state, err := p.answer(req.GetUrn(), req.GetType(), req.GetName(), news)
	if err != nil {
		return nil, err
	}
	out, err := plugin.MarshalProperties(state, marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// answer computes a resource's id and state from its inputs and records it in the fake cloud.
func (p *fakeProvider) answer(urn, typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	if name == "" {
		name = resource.URN(urn).Name()
	}
	state := inputs.Copy()
	id, err := p.fake.Answers.Answer(urn, typ, name, state)
	if err != nil {
		return "", nil, err
	}
	p.fake.put(Object{URN: urn, Type: typ, ID: id, State: state})
	return id, state, nil
}

func (p *fakeProvider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news, err := props(req.GetNews())
	if err != nil {
		return nil, err
	}
	p.fake.record(Call{Package: p.pkg, Method: "Update", URN: req.GetUrn(), Type: req.GetType(), ID: req.GetId(), Preview: req.GetPreview(), Inputs: news})
	if req.GetPreview() {
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	olds, err := props(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news = newRevision(req.GetType(), olds, news)
	_, state, err := p.answer(req.GetUrn(), req.GetType(), req.GetName(), news)
	if err != nil {
		return nil, err
	}
	p.fake.put(Object{URN: req.GetUrn(), Type: req.GetType(), ID: req.GetId(), State: state})
	out, err := plugin.MarshalProperties(state, marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (p *fakeProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	p.fake.record(Call{Package: p.pkg, Method: "Read", URN: req.GetUrn(), Type: req.GetType(), ID: req.GetId()})
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *fakeProvider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	olds, err := props(req.GetProperties())
	if err != nil {
		return nil, err
	}
	i := p.fake.record(Call{Package: p.pkg, Method: "Delete", URN: req.GetUrn(), Type: req.GetType(), ID: req.GetId(), Inputs: olds})
	defer p.fake.done(i)
	if err := p.fake.deletable(req.GetUrn(), req.GetType(), req.GetId(), olds); err != nil {
		return nil, err
	}
	time.Sleep(slowDeletes[req.GetType()])
	p.fake.remove(req.GetUrn())
	return &emptypb.Empty{}, nil
}

func (p *fakeProvider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := props(req.GetArgs())
	if err != nil {
		return nil, err
	}
	p.fake.record(Call{Package: p.pkg, Method: "Invoke", URN: req.GetTok(), Inputs: args})
	var ret resource.PropertyMap
	if req.GetTok() == awstype.Ec2GetRouteTables {
		ret = p.fake.routeTables(args)
	} else if ret, err = p.fake.Answers.InvokeAnswer(req.GetTok(), args); err != nil {
		// A failed invoke is reported to the program, as the real provider does.
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	out, err := plugin.MarshalProperties(ret, marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: out}, nil
}

// routeTables answers ec2.getRouteTables from the fake cloud: the route tables of vpcId whose
// tags match every tag:KEY filter.
func (f *Fake) routeTables(args resource.PropertyMap) resource.PropertyMap {
	vpcID := args["vpcId"]
	var ids []any
	for _, o := range f.Cloud() {
		if o.Type != awstype.Ec2RouteTable || !o.State["vpcId"].DeepEquals(vpcID) {
			continue
		}
		if matchesTagFilters(o.State["tags"], args["filters"]) {
			ids = append(ids, o.ID)
		}
	}
	return resource.NewPropertyMapFromMap(map[string]any{"id": f.Answers.Region, "ids": ids, "vpcId": vpcID.StringValue()})
}

func matchesTagFilters(tags, filters resource.PropertyValue) bool {
	if !filters.IsArray() {
		return true
	}
	for _, flt := range filters.ArrayValue() {
		if !flt.IsObject() {
			continue
		}
		name := flt.ObjectValue()["name"]
		if !name.IsString() || !strings.HasPrefix(name.StringValue(), "tag:") {
			continue
		}
		key := resource.PropertyKey(strings.TrimPrefix(name.StringValue(), "tag:"))
		if !tags.IsObject() || !tags.ObjectValue()[key].IsString() {
			return false
		}
		got := tags.ObjectValue()[key].StringValue()
		ok := false
		for _, v := range flt.ObjectValue()["values"].ArrayValue() {
			ok = ok || (v.IsString() && v.StringValue() == got)
		}
		if !ok {
			return false
		}
	}
	return true
}

func (p *fakeProvider) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	inputs, err := props(req.GetInputs())
	if err != nil {
		return nil, err
	}
	urn := constructURN(req)
	p.fake.record(Call{Package: p.pkg, Method: "Construct", URN: urn, Type: req.GetType(), Preview: req.GetDryRun(), Inputs: inputs})
	if p.pkg != "awsx" || req.GetType() != "awsx:ec2:Vpc" {
		return nil, fmt.Errorf("enginetest: the fake %s provider cannot construct %s", p.pkg, req.GetType())
	}
	spec, err := parseVpcSpec(inputs)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	host := p.host
	p.mu.Unlock()
	if host == nil {
		return nil, fmt.Errorf("enginetest: Construct before Attach")
	}
	return provider.Construct(ctx, req, host.EngineConn(), spec.construct)
}

func constructURN(req *pulumirpc.ConstructRequest) string {
	qualified := req.GetType()
	if parent := resource.URN(req.GetParent()); parent != "" && parent.QualifiedType() != resource.RootStackType {
		qualified = string(parent.QualifiedType()) + "$" + qualified
	}
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", req.GetStack(), req.GetProject(), qualified, req.GetName())
}

// newRevision answers an update of an ECS task definition as AWS does: every change registers a
// new revision, with a new ARN (family:N+1). Other types keep their answers.
func newRevision(typ string, olds, news resource.PropertyMap) resource.PropertyMap {
	if typ != awstype.EcsTaskDefinition || !olds["revision"].IsNumber() || !olds["arnWithoutRevision"].IsString() {
		return news
	}
	rev := int(olds["revision"].NumberValue()) + 1
	out := news.Copy()
	out["revision"] = resource.NewProperty(float64(rev))
	out["arnWithoutRevision"] = olds["arnWithoutRevision"]
	out["arn"] = resource.NewProperty(fmt.Sprintf("%s:%d", olds["arnWithoutRevision"].StringValue(), rev))
	return out
}

// deletionGuards are the AWS-side guards that make AWS itself refuse a delete, with AWS's
// message: the input that turns each on.
var deletionGuards = map[string]struct{ input, message string }{
	awstype.RdsInstance: {"deletionProtection",
		"InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again."},
	awstype.LbLoadBalancer: {"enableDeletionProtection",
		"OperationNotPermitted: Load balancer '%s' cannot be deleted because deletion protection is enabled"},
}

// deletable is AWS's answer to a delete: refused while the resource's deletion protection is on
// and has not been lifted outside Pulumi (LiftDeletionProtection, the runbook's aws CLI step).
func (f *Fake) deletable(urn, typ, id string, olds resource.PropertyMap) error {
	g, ok := deletionGuards[typ]
	if !ok {
		return nil
	}
	f.mu.Lock()
	lifted := f.lifted[urn]
	f.mu.Unlock()
	if v := olds[resource.PropertyKey(g.input)]; v.IsBool() && v.BoolValue() && !lifted {
		if strings.Contains(g.message, "%s") {
			return fmt.Errorf(g.message, id)
		}
		return fmt.Errorf("%s", g.message)
	}
	return nil
}

// LiftDeletionProtection turns off a resource's deletion protection at AWS, as the runbook's
// `aws rds modify-db-instance --no-deletion-protection` and `aws elbv2
// modify-load-balancer-attributes ... deletion_protection.enabled=false` do (outside Pulumi, so
// the stack's state keeps the old value). It returns the URNs it lifted.
func (f *Fake) LiftDeletionProtection() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for urn, o := range f.cloud {
		if g, ok := deletionGuards[o.Type]; ok {
			if v := o.State[resource.PropertyKey(g.input)]; v.IsBool() && v.BoolValue() {
				f.lifted[urn] = true
				out = append(out, urn)
			}
		}
	}
	sort.Strings(out)
	return out
}
