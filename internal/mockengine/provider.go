package mockengine

import "github.com/pulumi/pulumi/sdk/v3/go/common/resource"

// This file lets a fake resource provider under the real Pulumi engine (internal/enginetest)
// answer with the same realistic values as the mock engine, from one copy of the answers.

// Answer fills state with what AWS would return for a newly created resource of type typ with
// this URN and logical name, and gives its id. The answer depends only on its arguments, so the
// same resource gets the same id and ARN on every run.
func (m *Recorder) Answer(urn, typ, name string, state resource.PropertyMap) (string, error) {
	return m.answer(&Resource{URN: urn, Type: typ, Name: name, Custom: true}, state)
}

// InvokeAnswer answers a data-source call (getRegion, getCallerIdentity, getZone, ...) as the
// mock engine does, without recording it.
func (m *Recorder) InvokeAnswer(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	out, err := m.invoke(token, args)
	if err != nil {
		return nil, err
	}
	return resource.NewPropertyMapFromMap(out), nil
}
