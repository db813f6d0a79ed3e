"""Anatomical constants the detector relies on, each with its source.

All lengths are relative to the distance between MediaPipe's two hip landmarks
(``hip_width``), so that they hold whatever the photo's scale.

Sources
-------
- FAUST body scans with CAESAR-style landmarks (100 scans): the posterior superior iliac
  spines (PSIS) lie 9.8 +- 1.2 cm above the trochanterion and 11.3 +- 1.1 cm apart.
- Hip joint centres lie about 0.36 x the inter-ASIS distance from the midline (Bell et al.,
  J Biomech 1990), about 17-18 cm apart in adults; MediaPipe's hip landmarks sit near them,
  a little lateral (about 19 cm apart on the adult renders of scripts/render.py).
- Dimple radius 10-20 mm (the skin depression over the PSIS ligament); dimples 8-12 cm apart
  (../shared/DESIGN.md section 3).
"""

#: Typical distance between the hip joint centres, in millimetres; converts hip_width to mm
#: (with MediaPipe's slightly wider landmarks, millimetres read about 8 % large: the searched
#: scales and depth estimates absorb it, the latter through calibration on renders).
HIP_WIDTH_MM = 175.0


#: Expected half-spacing of the dimples from the midline, as a fraction of hip_width, and the
#: range searched. MediaPipe's hip landmarks sit lateral to the joint centres (about 19-20 cm
#: apart on adult renders), so 10-11 cm between the dimples is about 0.28 each side.
DIMPLE_HALF_SPACING = 0.28
DIMPLE_HALF_SPACING_RANGE = (0.14, 0.45)

#: Expected height of the dimples above the hip landmark line, as a fraction of hip_width
#: (PSIS 9.8 cm above the trochanterion; the landmarks lie near trochanter level).
DIMPLE_HEIGHT = 0.55
DIMPLE_HEIGHT_RANGE = (0.2, 0.9)


#: Height of the dimples above the bottom of the bare torso when no pose is known (waistband
#: or buttocks' crease), in hip widths: the dimples lie 3-6 cm above the top of the gluteal
#: cleft, which is about where briefs and shorts end.
DIMPLE_HEIGHT_ABOVE_SKIN_BOTTOM = 0.45
#: Height of the dimples above the top of the gluteal cleft, in hip widths (4 cm; measured on
#: renders without clothing as :func:`detector.fallback.gluteal_cleft_top` finds it).
DIMPLE_HEIGHT_ABOVE_CLEFT_TOP = 0.23

#: The search region around the dimples, in hip_width units: half-width, and how far
#: below and above the hip line it reaches.
REGION_HALF_WIDTH = 0.62
REGION_BELOW_HIPS = 0.05
REGION_ABOVE_HIPS = 1.05
