package sqlite

import (
	"reflect"
	"sync"
)

// deepCopy returns a copy of v that shares no slice's array, map or
// pointer's target with v, however deep: what the caches (tablecache.go)
// hand out, so that no caller can change what another is given. Unexported
// fields are copied as they are (time.Time's location, which is never
// changed in place).
func deepCopy[T any](v T) T {
	out := v
	deepen(reflect.ValueOf(&out).Elem())
	return out
}

// deepen replaces, in place, every slice, map and pointer reachable from
// v through exported fields with a copy of its own.
func deepen(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				deepen(v.Field(i))
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			deepen(v.Index(i))
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		if holdsReferences(v.Type().Elem()) {
			for i := range c.Len() {
				deepen(c.Index(i))
			}
		}
		v.Set(c)
	case reflect.Map:
		if v.IsNil() {
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			deepen(e)
			c.SetMapIndex(it.Key(), e)
		}
		v.Set(c)
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(v.Elem())
		deepen(p.Elem())
		v.Set(p)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		e := reflect.New(v.Elem().Type()).Elem()
		e.Set(v.Elem())
		deepen(e)
		v.Set(e)
	}
}

// holdsReferences reports whether a value of type t may reach a slice, a
// map, a pointer or an interface: whether deepen has anything to do in it.
func holdsReferences(t reflect.Type) bool {
	if v, ok := refTypes.Load(t); ok {
		return v.(bool)
	}
	v := typeHoldsReferences(t)
	refTypes.Store(t, v)
	return v
}

// refTypes remembers holdsReferences' answers by type.
var refTypes sync.Map

func typeHoldsReferences(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return true
	case reflect.Array:
		return holdsReferences(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && holdsReferences(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
