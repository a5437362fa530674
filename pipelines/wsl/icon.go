package wsl

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
)

// IconPath is the Windows shortcut icon of the distribution (shortcut.icon).
const IconPath = "/usr/share/wsl/unisonos.ico"

// Icon renders the shortcut icon: a 64x64 ICO holding one PNG (a ring on
// UnisonOS blue), drawn here so that nothing binary is committed; the same
// bytes every time.
func Icon() []byte {
	const n = 64
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	blue, white := color.NRGBA{0x1f, 0x5f, 0xbf, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := x-n/2, y-n/2
			switch r2 := dx*dx + dy*dy; {
			case r2 <= 30*30 && r2 >= 18*18:
				img.Set(x, y, white)
			case r2 < 32*32:
				img.Set(x, y, blue)
			}
		}
	}
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	var b bytes.Buffer
	// ICONDIR (reserved, type 1 = icon, 1 image), then one ICONDIRENTRY
	_ = binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, 1})
	b.Write([]byte{n, n, 0, 0})
	_ = binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})               // planes, bits per pixel
	_ = binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(p.Len()), 22}) // size, offset
	b.Write(p.Bytes())
	return b.Bytes()
}
